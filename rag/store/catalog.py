"""Persistence: a SQLite catalog of committed articles and a Chroma collection of embedded units.

The catalog is the single source of truth for what is visible. Ingest writes an article's units to
Chroma first, then commits its catalog row, then deletes units of older versions; units whose
(article, content hash) is not in the catalog are invisible to retrieval. So a crash at any point never
shows a half-written article. Articles whose units are being written or deleted are listed as pending
until that is done; the next ingest sweeps what a crash left of them, without scanning the whole store.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from rag.actors.names import Name
from rag.attribution.spans import Attribution
from rag.config import Config, go_offline
from rag.ingest.articles import Article
from rag.models.encoder import MODEL_KEY

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

SCHEMA_VERSION = 9
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
-- Covering indexes: the maps every answer reads (versions, outlets) without touching the article texts.
CREATE INDEX IF NOT EXISTS articles_versions ON articles (id, content_hash);
CREATE INDEX IF NOT EXISTS articles_by_date ON articles (date, id, outlet);
CREATE INDEX IF NOT EXISTS articles_by_group ON articles (outlet_group, outlet);
CREATE INDEX IF NOT EXISTS articles_by_body ON articles (body_hash, id);
CREATE INDEX IF NOT EXISTS articles_units ON articles (id, n_units);
CREATE TABLE IF NOT EXISTS attributions (
    article_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    unit INTEGER,
    speaker TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX IF NOT EXISTS attributions_by_article ON attributions (article_id);
-- Covers "which units does this speaker phrase speak in" without reading the rows themselves.
CREATE INDEX IF NOT EXISTS attributions_by_speaker ON attributions (speaker, article_id, unit);
-- Every speaker phrase ever committed, with a word index, so "What did X say?" finds X's phrases without
-- reading attributions; a phrase no longer used just matches no attribution.
CREATE TABLE IF NOT EXISTS speaker_phrases (phrase TEXT PRIMARY KEY);
CREATE VIRTUAL TABLE IF NOT EXISTS speaker_words USING fts5(phrase, content='speaker_phrases', content_rowid='rowid');
CREATE TABLE IF NOT EXISTS actor_names (
    article_id TEXT NOT NULL,
    name TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (article_id, name)
);
CREATE INDEX IF NOT EXISTS actor_names_distinct ON actor_names (name, actor, kind);
CREATE TABLE IF NOT EXISTS changes (n INTEGER NOT NULL);
INSERT INTO changes SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM changes);
-- The articles each change touched, so a reader of the catalog maps re-reads those rows only.
CREATE TABLE IF NOT EXISTS change_log (n INTEGER NOT NULL, article_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS change_log_by_n ON change_log (n, article_id);
CREATE TABLE IF NOT EXISTS pending (article_id TEXT PRIMARY KEY);
"""
# Pending "article" meaning: the catalog was reset, so any unit in Chroma may be an orphan.
EVERY_ARTICLE = "*"
# Values bound in one statement at most (SQLite allows 32,766): longer lists of article ids go in batches.
SQL_BATCH = 10_000
# Up to this many changes touching up to this many articles, a catalog map is updated, not read again whole.
INCREMENTAL_CHANGES = 100
INCREMENTAL_ARTICLES = 5_000
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
                    "DROP TABLE IF EXISTS change_log;"
                    "DROP TABLE IF EXISTS pending; DROP TABLE IF EXISTS actor_names;"
                    "DROP TABLE IF EXISTS speaker_words; DROP TABLE IF EXISTS speaker_phrases;"
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

    def entries(self, newest: int | None = None) -> list[CatalogEntry]:
        """Committed articles by date, or only the `newest` of them (still oldest first)."""
        if newest is None:
            return [_entry(row) for row in self._query("SELECT * FROM articles ORDER BY date, id")]
        rows = self._query(
            "SELECT * FROM (SELECT * FROM articles ORDER BY date DESC, id DESC LIMIT ?) ORDER BY date, id", (newest,)
        )
        return [_entry(row) for row in rows]

    def count(self) -> int:
        return self._query("SELECT count(*) AS n FROM articles")[0]["n"]

    def unit_total(self) -> int:
        """Units of the committed articles (read on a covering index; Chroma's own count takes 150 ms at 1.2M)."""
        return self._query("SELECT coalesce(sum(n_units), 0) AS n FROM articles")[0]["n"]

    def get(self, article_id: str) -> CatalogEntry | None:
        rows = self._query("SELECT * FROM articles WHERE id = ?", (article_id,))
        return _entry(rows[0]) if rows else None

    def hashes(self) -> dict[str, str]:
        """Article id -> committed content hash; after a change, only the rows of the changed articles are read.

        Every answer needs this map (200 ms to read whole at 100,000 articles); the same object is returned
        while nothing changed, and callers must not modify it.
        """
        counter = self._query("SELECT n FROM changes")[0]["n"]
        if self._hashes is not None and self._hashes[0] == counter:
            return self._hashes[1]
        changed = self._changed_since(self._hashes[0], counter) if self._hashes is not None else None
        if changed is None:
            rows = self._query("SELECT id, content_hash FROM articles")
            self._hashes = (counter, {row["id"]: row["content_hash"] for row in rows})
            return self._hashes[1]
        hashes = dict(self._hashes[1])
        for article_id in changed:
            hashes.pop(article_id, None)
        kept, args = _in_articles(changed, "id")
        rows = self._query(f"SELECT id, content_hash FROM articles WHERE {kept}", args)
        hashes.update({row["id"]: row["content_hash"] for row in rows})
        self._hashes = (counter, hashes)
        return hashes

    def _changed_since(self, before: int, now: int) -> set[str] | None:
        """The articles changes `before`+1 … `now` touched; None when the log does not hold all of them (a
        catalog reset, or more changes than are worth reading one by one)."""
        if not before < now <= before + INCREMENTAL_CHANGES:
            return None
        rows = self._query("SELECT n, article_id FROM change_log WHERE n > ? AND n <= ?", (before, now))
        if {row["n"] for row in rows} != set(range(before + 1, now + 1)) or len(rows) > INCREMENTAL_ARTICLES:
            return None
        return {row["article_id"] for row in rows}

    def outlets(self, article_ids: set[str] | None = None) -> Outlets:
        """Outlets with the ids of their committed articles (of the given articles only, when given), and
        outlet groups ("wire service") with the outlets their articles' front matter puts in them."""
        kept, args = _in_articles(article_ids, "id")
        articles: dict[str, list[str]] = {}
        for row in self._query(f"SELECT outlet, id FROM articles WHERE {kept} ORDER BY date, id", args):
            articles.setdefault(row["outlet"], []).append(row["id"])
        groups: dict[str, list[str]] = {}
        query = f"SELECT DISTINCT outlet_group, outlet FROM articles WHERE outlet_group != '' AND {kept}"
        for row in self._query(query, args):
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
            rows = self._query(f"SELECT {key}, {column} FROM articles WHERE {key} IN ({marks})", tuple(batch))
            found.update({row[key]: row[column] for row in rows})
        return found

    def texts(self, article_ids: set[str]) -> dict[str, str]:
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        rows = self._query(f"SELECT id, text FROM articles WHERE id IN ({marks})", tuple(article_ids))
        return {row["id"]: row["text"] for row in rows}

    def attributions(self, article_ids: set[str] | None = None) -> list[StoredAttribution]:
        """Stored attributions in reading order: of the given articles, or of all."""
        kept, args = _in_articles(article_ids)
        rows = self._query(f"SELECT * FROM attributions WHERE {kept} ORDER BY article_id, position", args)
        return [
            StoredAttribution(row["article_id"], row["unit"], Attribution.from_dict(json.loads(row["data"])))
            for row in rows
        ]

    def speaker_phrases(self, words: list[str]) -> list[str]:
        """Lower-cased speaker phrases with a word starting with each of the given words ("peskov" finds
        "kremlin spokesman dmitry peskov's"), through the word index."""
        tokens = [t for word in words for t in re.findall(r"\w+", word.lower())]
        if not tokens:
            return []
        match = " AND ".join(f'"{t}"*' for t in tokens)
        rows = self._query(
            "SELECT phrase FROM speaker_phrases WHERE rowid IN"
            " (SELECT rowid FROM speaker_words WHERE speaker_words MATCH ?)",
            (match,),
        )
        return [row["phrase"] for row in rows]

    def spoken_count(self, phrases: frozenset[str]) -> int:
        """How many cues these speaker phrases have (counted on the speaker index, no row is read)."""
        marks = ",".join("?" * len(phrases))
        return self._query(f"SELECT count(*) FROM attributions WHERE speaker IN ({marks})", tuple(phrases))[0][0]

    def articles_spoken_in(self, phrases: frozenset[str], most: int) -> set[str]:
        """Up to `most` articles where one of these speaker phrases speaks (on the speaker index)."""
        marks = ",".join("?" * len(phrases))
        rows = self._query(
            f"SELECT DISTINCT article_id FROM attributions WHERE speaker IN ({marks}) LIMIT ?", (*phrases, most)
        )
        return {row["article_id"] for row in rows}

    def spoken_units(self, phrases: frozenset[str]) -> list[tuple[str, int]]:
        """(article id, unit) of the cues of these speaker phrases, read from the speaker index alone (a
        join to committed articles triples the cost)."""
        marks = ",".join("?" * len(phrases))
        rows = self._query(
            f"SELECT article_id, unit FROM attributions WHERE speaker IN ({marks}) AND unit IS NOT NULL", tuple(phrases)
        )
        return [(row["article_id"], row["unit"]) for row in rows]

    def speakers_of(self, units: set[tuple[str, int]]) -> dict[tuple[str, int], set[str]]:
        """The lower-cased speaker phrases of each of these units' cues."""
        found: dict[tuple[str, int], set[str]] = {}
        articles = {a for a, _ in units}
        kept, args = _in_articles(articles)
        for row in self._query(f"SELECT article_id, unit, speaker FROM attributions WHERE {kept}", args):
            if (row["article_id"], row["unit"]) in units:
                found.setdefault((row["article_id"], row["unit"]), set()).add(row["speaker"])
        return found

    def actor_names(self) -> list[Name]:
        """The distinct actor names found at ingest in all committed articles (a name recurs in thousands)."""
        rows = self._query("SELECT DISTINCT name, actor, kind FROM actor_names ORDER BY name, actor")
        return [Name(r["name"], r["actor"], r["kind"]) for r in rows]

    def commit(self, versions: list[tuple[Article, int, list[tuple[int | None, Attribution]], list[Name]]]) -> None:
        """Make versions of articles (with unit counts, attributions, actor names) visible, in one transaction."""
        with closing(self._connect()) as conn, conn:
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
            counter = conn.execute("UPDATE changes SET n = n + 1 RETURNING n").fetchone()[0]
            conn.execute("INSERT INTO change_log VALUES (?,?)", (counter, article_id))
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


def _remember_phrase(conn: sqlite3.Connection, phrase: str) -> None:
    """Add a speaker phrase to the phrase table and its word index, once."""
    added = conn.execute("INSERT OR IGNORE INTO speaker_phrases (phrase) VALUES (?)", (phrase,))
    if added.rowcount:
        conn.execute("INSERT INTO speaker_words (rowid, phrase) VALUES (?, ?)", (added.lastrowid, phrase))


def _in_articles(article_ids: set[str] | None, column: str = "article_id") -> tuple[str, tuple]:
    """An SQL condition (and its arguments) keeping rows of the given articles, or every row."""
    if article_ids is None:
        return "1", ()
    return f"{column} IN ({','.join('?' * len(article_ids))})", tuple(sorted(article_ids))


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
