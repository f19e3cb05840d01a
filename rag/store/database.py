"""The catalog's SQLite file: its schema, connections and the one helper every query of article rows uses.

The catalog is the single source of truth for what is visible. Ingest writes an article's units to
Chroma first, then commits its catalog row, then deletes units of older versions; units whose
(article, content hash) is not in the catalog are invisible to retrieval. So a crash at any point never
shows a half-written article. Articles whose units are being written or deleted are listed as pending
until that is done; the next ingest sweeps what a crash left of them, without scanning the whole store.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

SCHEMA_VERSION = 10
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
-- Corpus files of removed articles not deleted yet: the next ingest deletes them before reading the folder.
CREATE TABLE IF NOT EXISTS removals (path TEXT PRIMARY KEY);
"""
# Pending "article" meaning: the catalog was reset, so any unit in Chroma may be an orphan.
EVERY_ARTICLE = "*"


class CatalogDatabase:
    """Opens the catalog file, creating or resetting its schema; an older layout is dropped and rebuilt by the
    next ingest (the catalog is derived from the corpus files)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        with closing(self.connect()) as conn, conn:
            reset = conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION
            if reset:
                conn.executescript(
                    "DROP TABLE IF EXISTS articles; DROP TABLE IF EXISTS attributions; DROP TABLE IF EXISTS changes;"
                    "DROP TABLE IF EXISTS change_log;"
                    "DROP TABLE IF EXISTS pending; DROP TABLE IF EXISTS actor_names; DROP TABLE IF EXISTS removals;"
                    "DROP TABLE IF EXISTS speaker_words; DROP TABLE IF EXISTS speaker_phrases;"
                )
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.executescript(SCHEMA)
            if reset:
                conn.execute("INSERT INTO pending VALUES (?)", (EVERY_ARTICLE,))

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn

    def query(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with closing(self.connect()) as conn:
            return conn.execute(sql, args).fetchall()


def in_articles(article_ids: set[str] | None, column: str = "article_id") -> tuple[str, tuple]:
    """An SQL condition (and its arguments) keeping rows of the given articles, or every row."""
    if article_ids is None:
        return "1", ()
    return f"{column} IN ({','.join('?' * len(article_ids))})", tuple(sorted(article_ids))
