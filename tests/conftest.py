"""Shared fixtures: a real engine (real model, real Chroma) in a temporary data folder."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from rag.config import DEFAULT_CORPUS, Config, go_offline
from rag.engine import Engine

go_offline()

SEED_ARTICLE = DEFAULT_CORPUS / "mna-2025-02-01-eu-divided-over-western-troops.md"
SEED_ID = "mna-2025-02-01-eu-divided-over-western-troops"


def free_port() -> int:
    """A port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_engine(home: Path, corpus: Path | None = None, chroma_url: str | None = None) -> Engine:
    return Engine(Config(home=home, corpus_dir=corpus or DEFAULT_CORPUS, chroma_url=chroma_url))


@pytest.fixture(scope="session")
def seeded_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The default corpus ingested once; tests using it must not change it."""
    engine = make_engine(tmp_path_factory.mktemp("home"))
    report = engine.ingest(progress=False)
    assert report.added == [SEED_ID] and not report.errors
    return engine


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED_ARTICLE, folder / SEED_ARTICLE.name)
    return folder


@pytest.fixture
def fresh_engine(tmp_path: Path, corpus_copy: Path) -> Engine:
    """An engine of its own over a copy of the corpus, for tests that add, change or remove articles."""
    return make_engine(tmp_path / "home", corpus_copy)


def article_file(folder: Path, name: str, body: str, **meta: str) -> Path:
    fields = {"title": "A test story", "outlet": "The Daily Test", "date": "2025-03-01", **meta}
    front = "".join(f"{k}: {v}\n" for k, v in fields.items())
    path = folder / name
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return path
