"""Persistence: a SQLite catalog of committed articles and a Chroma collection of embedded units.

The catalog is the single source of truth for what is visible. Ingest writes an article's units to
Chroma first, then commits its catalog row, then deletes units of older versions; units whose
(article, content hash) is not in the catalog are invisible to retrieval. So a crash at any point never
shows a half-written article. Articles whose units are being written or deleted are listed as pending
until that is done; the next ingest sweeps what a crash left of them, without scanning the whole store.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from rag.actors.names import Name
from rag.attribution.spans import Attribution
from rag.config import Config, go_offline
from rag.corpus import Article
from rag.embedding import MODEL_KEY

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

SCHEMA_VERSION = 8
SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    outlet TEXT NOT NULL,
    date TEXT NOT NULL,
    url TEXT,
    language TEXT NOT NULL,
    source TEXT NOT NULL,
    preamble TEXT NOT NULL,
    outlet_group TEXT NOT NULL,
    text TEXT NOT NULL,
    n_units INTEGER NOT NULL,
    ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS attributions (
    article_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    unit INTEGER,
    speaker TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX IF NOT EXISTS attributions_by_article ON attributions (article_id);
CREATE TABLE IF NOT EXISTS actor_names (
    article_id TEXT NOT NULL,
    name TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (article_id, name)
);
CREATE TABLE IF NOT EXISTS changes (n INTEGER NOT NULL);
INSERT INTO changes SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM changes);
CREATE TABLE IF NOT EXISTS pending (article_id TEXT PRIMARY KEY);
"""
# Pending "article" meaning: the catalog was reset, so any unit in Chroma may be an orphan.
EVERY_ARTICLE = "*"
ARTICLE_FIELDS = ("id", "title", "outlet", "date", "url", "language", "source", "preamble", "outlet_group", "text")


@dataclass(frozen=True)
class StoredAttribution:
    article_id: str
    unit: int | None
    attribution: Attribution


@dataclass(frozen=True)
class CatalogEntry:
    article: Article
    content_hash: str
    n_units: int
    ingested_at: float


class Catalog:
    """Committed articles, their texts (citations are sliced from these) and content hashes."""

    def __init__(self, config: Config) -> None:
        config.home.mkdir(parents=True, exist_ok=True)
        self._path = config.catalog_path
        self._hashes: tuple[int, dict[str, str]] | None = None  # (changes counter, hashes) last read
        with closing(self._connect()) as conn, conn:
            reset = conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION
            if reset:
                # The catalog is derived from the corpus files: an older layout is rebuilt by the next ingest.
                conn.executescript(
                    "DROP TABLE IF EXISTS articles; DROP TABLE IF EXISTS attributions; DROP TABLE IF EXISTS changes;"
                    "DROP TABLE IF EXISTS pending; DROP TABLE IF EXISTS actor_names;"
                )
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.executescript(SCHEMA)
            if reset:
                conn.execute("INSERT INTO pending VALUES (?)", (EVERY_ARTICLE,))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn

    def _query(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with closing(self._connect()) as conn:
            return conn.execute(sql, args).fetchall()

    def entries(self) -> list[CatalogEntry]:
        return [_entry(row) for row in self._query("SELECT * FROM articles ORDER BY date, id")]

    def get(self, article_id: str) -> CatalogEntry | None:
        rows = self._query("SELECT * FROM articles WHERE id = ?", (article_id,))
        return _entry(rows[0]) if rows else None

    def hashes(self) -> dict[str, str]:
        """Article id -> committed content hash; re-read only when any process changed the catalog since.

        Every answer needs this map (10 ms at 10,000 articles); the same object is returned while nothing
        changed, and callers must not modify it.
        """
        changes = self._query("SELECT n FROM changes")[0]["n"]
        if self._hashes is None or self._hashes[0] != changes:
            rows = self._query("SELECT id, content_hash FROM articles")
            self._hashes = (changes, {row["id"]: row["content_hash"] for row in rows})
        return self._hashes[1]

    def outlets(self) -> dict[str, tuple[str, ...]]:
        """Outlet -> the ids of its committed articles."""
        found: dict[str, list[str]] = {}
        for row in self._query("SELECT outlet, id FROM articles ORDER BY date, id"):
            found.setdefault(row["outlet"], []).append(row["id"])
        return {outlet: tuple(ids) for outlet, ids in found.items()}

    def outlet_groups(self) -> dict[str, tuple[str, ...]]:
        """Outlet group ("wire service") -> the outlets its articles' front matter puts in it."""
        found: dict[str, list[str]] = {}
        for row in self._query("SELECT DISTINCT outlet_group, outlet FROM articles WHERE outlet_group != ''"):
            found.setdefault(row["outlet_group"], []).append(row["outlet"])
        return {group: tuple(sorted(outlets)) for group, outlets in found.items()}

    def body_hashes(self) -> dict[str, str]:
        return {row["body_hash"]: row["id"] for row in self._query("SELECT id, body_hash FROM articles")}

    def unit_counts(self, article_ids: set[str]) -> dict[str, int]:
        marks = ",".join("?" * len(article_ids))
        rows = self._query(f"SELECT id, n_units FROM articles WHERE id IN ({marks})", tuple(article_ids))
        return {row["id"]: row["n_units"] for row in rows}

    def texts(self, article_ids: set[str]) -> dict[str, str]:
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        rows = self._query(f"SELECT id, text FROM articles WHERE id IN ({marks})", tuple(article_ids))
        return {row["id"]: row["text"] for row in rows}

    def attributions(
        self, article_ids: set[str] | None = None, speaker_words: list[str] | None = None
    ) -> list[StoredAttribution]:
        """Stored attributions in reading order: of the given articles, and/or whose speaker has all the words."""
        where, args = _article_filter(article_ids, speaker_words)
        rows = self._query(f"SELECT * FROM attributions {where} ORDER BY article_id, position", args)
        return [
            StoredAttribution(row["article_id"], row["unit"], Attribution.from_dict(json.loads(row["data"])))
            for row in rows
        ]

    def speaker_units(
        self, speaker_words: list[str], article_ids: set[str] | None = None
    ) -> dict[str, set[tuple[str, int]]]:
        """Units holding a cue, by lower-cased speaker phrase having all the words (no attribution is decoded)."""
        where, args = _article_filter(article_ids, speaker_words)
        grouped: dict[str, set[tuple[str, int]]] = {}
        for row in self._query(f"SELECT speaker, article_id, unit FROM attributions {where}", args):
            if row["unit"] is not None:
                grouped.setdefault(row["speaker"], set()).add((row["article_id"], row["unit"]))
        return grouped

    def actor_names(self, article_ids: set[str] | None = None) -> list[Name]:
        """The actor names found at ingest: of the given articles, or of all."""
        where, args = _article_filter(article_ids, None)
        return [Name(r["name"], r["actor"], r["kind"]) for r in self._query(f"SELECT * FROM actor_names {where}", args)]

    def commit(self, versions: list[tuple[Article, int, list[tuple[int | None, Attribution]], list[Name]]]) -> None:
        """Make versions of articles (with unit counts, attributions, actor names) visible, in one transaction."""
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE changes SET n = n + 1")
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

    def remove(self, article_id: str) -> bool:
        """Hide an article; its units stay pending until deleted."""
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE changes SET n = n + 1")
            conn.execute("INSERT OR IGNORE INTO pending VALUES (?)", (article_id,))
            conn.execute("DELETE FROM attributions WHERE article_id = ?", (article_id,))
            conn.execute("DELETE FROM actor_names WHERE article_id = ?", (article_id,))
            return conn.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0

    def pending(self) -> list[str]:
        """Articles whose unit writes or deletions may not have finished (`EVERY_ARTICLE` after a reset)."""
        return [row["article_id"] for row in self._query("SELECT article_id FROM pending ORDER BY article_id")]

    def mark_pending(self, article_ids: list[str]) -> None:
        with closing(self._connect()) as conn, conn:
            conn.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(a,) for a in article_ids])

    def clear_pending(self, article_ids: list[str]) -> None:
        with closing(self._connect()) as conn, conn:
            conn.executemany("DELETE FROM pending WHERE article_id = ?", [(a,) for a in article_ids])


def _article_filter(article_ids: set[str] | None, speaker_words: list[str] | None) -> tuple[str, tuple]:
    clauses, args = [], []
    if article_ids is not None:
        clauses.append(f"article_id IN ({','.join('?' * len(article_ids))})")
        args += sorted(article_ids)
    for word in speaker_words or []:
        clauses.append("speaker LIKE ?")
        args.append(f"%{word.lower()}%")
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), tuple(args)


def _entry(row: sqlite3.Row) -> CatalogEntry:
    article = Article(**{name: row[name] for name in ARTICLE_FIELDS})
    return CatalogEntry(article, row["content_hash"], row["n_units"], row["ingested_at"])


def unit_id(article_id: str, content_hash: str, unit: int) -> str:
    """Chroma id of a unit: each article version has its own ids, so a new version never overwrites the old."""
    return f"{article_id}@{content_hash[:16]}#{unit}"


def chroma_client(config: Config) -> ClientAPI:
    """Embedded persistent Chroma by default; a Chroma server when a URL is configured."""
    go_offline()
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if config.chroma_url:
        url = urlparse(config.chroma_url)
        if not url.hostname:
            raise ValueError(f"Chroma URL {config.chroma_url!r} has no host; expected http://HOST:PORT")
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
    config.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(config.chroma_dir), settings=settings)


def unit_metadata(collection: Collection, page: int = 5000) -> Iterator[tuple[str, dict]]:
    """(unit id, metadata) of every stored unit, read in pages (one unbounded get fails past ~30k units)."""
    for offset in range(0, collection.count(), page):
        batch = collection.get(include=["metadatas"], limit=page, offset=offset)
        yield from zip(batch["ids"], batch["metadatas"], strict=True)


def unit_collection(client: ClientAPI) -> Collection:
    """One collection per embedding model, cosine space, with no embedding function of Chroma's own."""
    return client.get_or_create_collection(
        name=f"units_{MODEL_KEY}",
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine"}},
    )
