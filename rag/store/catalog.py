"""The catalog's reads of committed articles: versions, texts, outlets, unit counts and actor names.

Every answer reads the version map (`hashes`); after a change only the changed articles' rows are read.
Speaker reads are `speakers` (`rag.store.speaker_index`), every write is `writes` (`rag.store.writes`).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from functools import cached_property

from rag import settings
from rag.actors.names import Name
from rag.config import Config
from rag.ingest.articles import Article
from rag.store.database import CatalogDatabase, in_articles
from rag.store.speaker_index import SpeakerIndex
from rag.store.writes import CatalogWrites

# Values bound in one statement at most (SQLite allows 32,766): longer lists of article ids go in batches.
SQL_BATCH = 10_000
ARTICLE_FIELDS = ("id", "title", "outlet", "date", "url", "language", "source", "preamble", "outlet_group", "text")


@dataclass(frozen=True)
class Outlets:
    """The indexed outlets, as questions name them."""

    articles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # outlet -> its article ids
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # outlet group -> its outlets

    def with_added(self, added: Outlets) -> Outlets:
        """These outlets and those of articles added since (listed after the ones already here)."""
        articles = dict(self.articles)
        for outlet, ids in added.articles.items():
            articles[outlet] = articles.get(outlet, ()) + ids
        groups = dict(self.groups)
        for group, outlets in added.groups.items():
            groups[group] = tuple(sorted({*groups.get(group, ()), *outlets}))
        return Outlets(articles, groups)

    @cached_property
    def outlet_of(self) -> dict[str, str]:
        """Article id -> its outlet, so naming an id costs one lookup whatever the size of the corpus."""
        return {a: outlet for outlet, ids in self.articles.items() for a in ids}

    @cached_property
    def own_words(self) -> dict[str, list[str]]:
        """Outlet -> the capitalised words of its name that no other outlet's name has."""
        owners: dict[str, list[str]] = {}
        for outlet in self.articles:
            for word in re.findall(r"[A-Z][\w’'-]{3,}", outlet):
                owners.setdefault(word, []).append(outlet)
        own: dict[str, list[str]] = {}
        for word, named in owners.items():
            if len(named) == 1:
                own.setdefault(named[0], []).append(word)
        return own


@dataclass(frozen=True)
class CatalogEntry:
    article: Article
    content_hash: str
    n_units: int
    ingested_at: float


class Catalog:
    """Committed articles, their texts (citations are sliced from these) and content hashes."""

    def __init__(self, config: Config) -> None:
        self._db = CatalogDatabase(config.catalog_path)
        self._hashes: tuple[int, dict[str, str]] | None = None  # (changes counter, hashes) last read
        self.speakers = SpeakerIndex(self._db)
        self.writes = CatalogWrites(self._db)

    def entries(self, newest: int | None = None) -> list[CatalogEntry]:
        """Committed articles by date, or only the `newest` of them (still oldest first)."""
        if newest is None:
            return [_entry(row) for row in self._db.query("SELECT * FROM articles ORDER BY date, id")]
        rows = self._db.query(
            "SELECT * FROM (SELECT * FROM articles ORDER BY date DESC, id DESC LIMIT ?) ORDER BY date, id", (newest,)
        )
        return [_entry(row) for row in rows]

    def count(self) -> int:
        return self._db.query("SELECT count(*) AS n FROM articles")[0]["n"]

    def unit_total(self) -> int:
        """Units of the committed articles (read on a covering index; Chroma's own count takes 150 ms at 1.2M)."""
        return self._db.query("SELECT coalesce(sum(n_units), 0) AS n FROM articles")[0]["n"]

    def get(self, article_id: str) -> CatalogEntry | None:
        rows = self._db.query("SELECT * FROM articles WHERE id = ?", (article_id,))
        return _entry(rows[0]) if rows else None

    def hashes(self) -> dict[str, str]:
        """Article id -> committed content hash; after a change, only the rows of the changed articles are read.

        Every answer needs this map (200 ms to read whole at 100,000 articles); the same object is returned
        while nothing changed, and callers must not modify it.
        """
        counter = self._db.query("SELECT n FROM changes")[0]["n"]
        if self._hashes is not None and self._hashes[0] == counter:
            return self._hashes[1]
        changed = self._changed_since(self._hashes[0], counter) if self._hashes is not None else None
        if changed is None:
            rows = self._db.query("SELECT id, content_hash FROM articles")
            self._hashes = (counter, {row["id"]: row["content_hash"] for row in rows})
            return self._hashes[1]
        hashes = dict(self._hashes[1])
        for article_id in changed:
            hashes.pop(article_id, None)
        kept, args = in_articles(changed, "id")
        rows = self._db.query(f"SELECT id, content_hash FROM articles WHERE {kept}", args)
        hashes.update({row["id"]: row["content_hash"] for row in rows})
        self._hashes = (counter, hashes)
        return hashes

    def _changed_since(self, before: int, now: int) -> set[str] | None:
        """The articles changes `before`+1 … `now` touched; None when the log does not hold all of them (a
        catalog reset, or more changes than are worth reading one by one)."""
        if not before < now <= before + settings.INCREMENTAL_CHANGES:
            return None
        rows = self._db.query("SELECT n, article_id FROM change_log WHERE n > ? AND n <= ?", (before, now))
        if {row["n"] for row in rows} != set(range(before + 1, now + 1)) or len(rows) > settings.INCREMENTAL_ARTICLES:
            return None
        return {row["article_id"] for row in rows}

    def outlets(self, article_ids: set[str] | None = None) -> Outlets:
        """Outlets with the ids of their committed articles (of the given articles only, when given), and
        outlet groups ("wire service") with the outlets their articles' front matter puts in them."""
        kept, args = in_articles(article_ids, "id")
        articles: dict[str, list[str]] = {}
        for row in self._db.query(f"SELECT outlet, id FROM articles WHERE {kept} ORDER BY date, id", args):
            articles.setdefault(row["outlet"], []).append(row["id"])
        groups: dict[str, list[str]] = {}
        query = f"SELECT DISTINCT outlet_group, outlet FROM articles WHERE outlet_group != '' AND {kept}"
        for row in self._db.query(query, args):
            groups.setdefault(row["outlet_group"], []).append(row["outlet"])
        return Outlets(
            {outlet: tuple(ids) for outlet, ids in articles.items()},
            {group: tuple(sorted(outlets)) for group, outlets in groups.items()},
        )

    def body_owners(self, body_hashes: set[str]) -> dict[str, str]:
        """Body hash -> the committed article with that text, for the given hashes (read on their index)."""
        return self._article_column("body_hash", body_hashes, "id")

    def unit_counts(self, article_ids: set[str]) -> dict[str, int]:
        return self._article_column("id", article_ids, "n_units")

    def _article_column(self, key: str, values: set[str], column: str) -> dict:
        """`key` -> `column` of the articles whose `key` is one of `values`, in batches SQLite can bind."""
        ordered = sorted(values)
        found = {}
        for offset in range(0, len(ordered), SQL_BATCH):
            batch = ordered[offset : offset + SQL_BATCH]
            marks = ",".join("?" * len(batch))
            rows = self._db.query(f"SELECT {key}, {column} FROM articles WHERE {key} IN ({marks})", tuple(batch))
            found.update({row[key]: row[column] for row in rows})
        return found

    def texts(self, article_ids: set[str]) -> dict[str, str]:
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        rows = self._db.query(f"SELECT id, text FROM articles WHERE id IN ({marks})", tuple(article_ids))
        return {row["id"]: row["text"] for row in rows}

    def actor_names(self) -> list[Name]:
        """The distinct actor names found at ingest in all committed articles (a name recurs in thousands)."""
        rows = self._db.query("SELECT DISTINCT name, actor, kind FROM actor_names ORDER BY name, actor")
        return [Name(r["name"], r["actor"], r["kind"]) for r in rows]


def _entry(row: sqlite3.Row) -> CatalogEntry:
    article = Article(**{name: row[name] for name in ARTICLE_FIELDS})
    return CatalogEntry(article, row["content_hash"], row["n_units"], row["ingested_at"])
