"""Changes to the catalog: committing article versions, hiding removed ones, and the pending list of
articles whose units in Chroma are still being written or deleted (see `rag.store.database`)."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing

from rag.actors.names import Name
from rag.attribution.spans import Attribution
from rag.faults import crash_point
from rag.ingest.articles import Article
from rag.store.database import CatalogDatabase


class CatalogWrites:
    """The only writer of the catalog (ingest, removal, repair)."""

    def __init__(self, db: CatalogDatabase) -> None:
        self._db = db

    def commit(self, versions: list[tuple[Article, int, list[tuple[int | None, Attribution]], list[Name]]]) -> None:
        """Make versions of articles (with unit counts, attributions, actor names) visible, in one transaction."""
        with closing(self._db.connect()) as conn, conn:
            counter = conn.execute("UPDATE changes SET n = n + 1 RETURNING n").fetchone()[0]
            conn.executemany("INSERT INTO change_log VALUES (?,?)", [(counter, v[0].id) for v in versions])
            for article, n_units, attributions, names in versions:
                conn.execute("DELETE FROM attributions WHERE article_id = ?", (article.id,))
                conn.execute("DELETE FROM actor_names WHERE article_id = ?", (article.id,))
                conn.executemany(
                    "INSERT INTO actor_names VALUES (?,?,?,?)", [(article.id, n.name, n.actor, n.kind) for n in names]
                )
                conn.executemany(
                    "INSERT INTO attributions VALUES (?,?,?,?,?)",
                    [
                        (article.id, i, unit, a.speaker.text.lower() if a.speaker else "", json.dumps(a.to_dict()))
                        for i, (unit, a) in enumerate(attributions)
                    ],
                )
                for phrase in {a.speaker.text.lower() for _, a in attributions if a.speaker}:
                    _remember_phrase(conn, phrase)
                crash_point("catalog_commit_inside")
                conn.execute(
                    "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        article.id,
                        article.content_hash,
                        article.body_hash,
                        article.title,
                        article.outlet,
                        article.date,
                        article.url,
                        article.language,
                        article.source,
                        article.preamble,
                        article.outlet_group,
                        article.text,
                        n_units,
                        time.time(),
                    ),
                )

    def remove(self, article_id: str, files: list[str]) -> bool:
        """Hide an article; its units stay pending and its corpus files listed as removals until deleted."""
        with closing(self._db.connect()) as conn, conn:
            counter = conn.execute("UPDATE changes SET n = n + 1 RETURNING n").fetchone()[0]
            conn.execute("INSERT INTO change_log VALUES (?,?)", (counter, article_id))
            conn.execute("INSERT OR IGNORE INTO pending VALUES (?)", (article_id,))
            conn.executemany("INSERT OR IGNORE INTO removals VALUES (?)", [(f,) for f in files])
            conn.execute("DELETE FROM attributions WHERE article_id = ?", (article_id,))
            conn.execute("DELETE FROM actor_names WHERE article_id = ?", (article_id,))
            return conn.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0

    def removals(self) -> list[str]:
        """Corpus files of removed articles that may still exist."""
        return [row["path"] for row in self._db.query("SELECT path FROM removals ORDER BY path")]

    def clear_removals(self, paths: list[str]) -> None:
        with closing(self._db.connect()) as conn, conn:
            conn.executemany("DELETE FROM removals WHERE path = ?", [(p,) for p in paths])

    def pending(self) -> list[str]:
        """Articles whose unit writes or deletions may not have finished (`EVERY_ARTICLE` after a reset)."""
        return [row["article_id"] for row in self._db.query("SELECT article_id FROM pending ORDER BY article_id")]

    def mark_pending(self, article_ids: list[str]) -> None:
        with closing(self._db.connect()) as conn, conn:
            conn.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(a,) for a in article_ids])

    def clear_pending(self, article_ids: list[str]) -> None:
        with closing(self._db.connect()) as conn, conn:
            conn.executemany("DELETE FROM pending WHERE article_id = ?", [(a,) for a in article_ids])


def _remember_phrase(conn: sqlite3.Connection, phrase: str) -> None:
    """Add a speaker phrase to the phrase table and its word index, once."""
    added = conn.execute("INSERT OR IGNORE INTO speaker_phrases (phrase) VALUES (?)", (phrase,))
    if added.rowcount:
        conn.execute("INSERT INTO speaker_words (rowid, phrase) VALUES (?, ?)", (added.lastrowid, phrase))
