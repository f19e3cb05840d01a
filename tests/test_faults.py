"""A process killed at a named write step (`rag/faults.py`) loses nothing committed and shows nothing
half-written; the next ingest finishes what it was doing."""

from __future__ import annotations

import shutil
import signal
from dataclasses import replace
from pathlib import Path

import pytest

from rag.engine import Engine
from tests.conftest import make_engine, run_cli

PORT_ALDER = Path("eval/fixtures/port-alder")


def indexed(tmp_path: Path) -> tuple[Engine, Path, Path]:
    corpus, home = tmp_path / "corpus", tmp_path / "home"
    shutil.copytree(PORT_ALDER, corpus)
    engine = make_engine(home, corpus)
    engine.ingest(progress=False)
    return engine, home, corpus


@pytest.mark.subprocess
def test_a_removal_killed_after_hiding_is_finished_by_the_next_ingest(tmp_path: Path) -> None:
    engine, home, corpus = indexed(tmp_path)
    victim = engine.articles()[0].article
    result = run_cli(home, "articles", "remove", victim.id, corpus=corpus, env={"RAG_CRASH_AT": "removal_hidden"})
    assert result.returncode == -signal.SIGKILL
    assert Path(victim.source).exists(), "killed before its file was deleted"
    reopened = make_engine(home, corpus)
    assert victim.id not in reopened.catalog.hashes()
    reopened.ingest(progress=False)
    assert victim.id not in reopened.catalog.hashes(), "a removed article came back"
    assert not Path(victim.source).exists() and reopened.check().clean


@pytest.mark.subprocess
def test_an_ingest_killed_inside_the_catalog_commit_shows_none_of_it(tmp_path: Path) -> None:
    engine, home, corpus = indexed(tmp_path)
    before = engine.catalog.hashes()
    for path in corpus.glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8") + "\nA sentence added in a later version.\n", encoding="utf-8")
    result = run_cli(home, "ingest", "--quiet", corpus=corpus, env={"RAG_CRASH_AT": "catalog_commit_inside"})
    assert result.returncode == -signal.SIGKILL
    reopened = make_engine(home, corpus)
    assert reopened.catalog.hashes() == before, "the old versions stay visible, whole"
    assert reopened.check().wrong_units == []
    reopened.ingest(progress=False)
    assert reopened.catalog.hashes().keys() == before.keys() and reopened.catalog.hashes() != before
    assert reopened.check().clean


@pytest.mark.subprocess
def test_an_article_added_again_after_a_cut_short_removal_stays(tmp_path: Path) -> None:
    engine, home, corpus = indexed(tmp_path)
    victim = engine.articles()[0].article
    run_cli(home, "articles", "remove", victim.id, corpus=corpus, env={"RAG_CRASH_AT": "removal_hidden"})
    Path(victim.source).unlink()  # deleted by hand; the removal is still listed as unfinished
    reopened = make_engine(home, corpus)
    target, report = reopened.add(replace(victim, source=""))
    assert not report.errors and target.exists() and victim.id in reopened.catalog.hashes()
    reopened.ingest(progress=False)
    assert target.exists() and victim.id in reopened.catalog.hashes() and reopened.check().clean
