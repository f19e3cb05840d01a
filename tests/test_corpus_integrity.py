"""The corpus folder and the index agree: removals stay removed, rejected files leave nothing, `check` finds drift."""

from pathlib import Path

import pytest

from rag.engine import NOTHING_INDEXED, Engine
from rag.ingest.articles import CorpusError, load_article, new_article
from tests.conftest import SEED_ARTICLE, SEED_ID, article_file, make_engine

STORY = (
    "The mayor of Eastport announced a new bridge on Tuesday. "
    '"This bridge will connect our people," Mayor Ana Ortiz said at the ceremony.\n'
)


def test_removal_deletes_the_file_and_survives_a_restart(fresh_engine: Engine, corpus_copy: Path) -> None:
    path = article_file(corpus_copy, "bridge.md", STORY, id="bridge")
    fresh_engine.ingest(progress=False)
    assert fresh_engine.remove("bridge")
    assert not path.exists()
    restarted = make_engine(fresh_engine.config.home, corpus_copy)
    assert restarted.ingest(progress=False).added == []
    assert restarted.catalog.get("bridge") is None and restarted.check().clean


def test_a_rejected_duplicate_leaves_no_file_and_cannot_take_over(fresh_engine: Engine, corpus_copy: Path) -> None:
    fresh_engine.ingest(progress=False)
    seed = load_article(SEED_ARTICLE)
    copy = new_article(seed.text, title="Copied headline", outlet="Copy Outlet", date="2025-02-02")
    before = sorted(p.name for p in corpus_copy.iterdir())
    with pytest.raises(CorpusError, match="same text as indexed article"):
        fresh_engine.add(copy)
    assert sorted(p.name for p in corpus_copy.iterdir()) == before
    fresh_engine.remove(SEED_ID)
    fresh_engine.ingest(progress=False)
    assert fresh_engine.articles() == [], "nothing left to resurrect the removed text under another headline"


def test_an_added_file_that_ingest_rejects_is_not_kept(fresh_engine: Engine, corpus_copy: Path) -> None:
    tiny = new_article("Hello.\n", title="Tiny", outlet="Test Outlet", date="2025-03-01", article_id="tiny")
    _, report = fresh_engine.add(tiny)
    assert report.errors and not (corpus_copy / "tiny.md").exists()


def test_check_reports_each_disagreement_and_repair_fixes_it(fresh_engine: Engine, corpus_copy: Path) -> None:
    bridge = article_file(corpus_copy, "bridge.md", STORY, id="bridge")
    fresh_engine.ingest(progress=False)
    assert fresh_engine.check().clean
    bridge.unlink()
    article_file(corpus_copy, "late.md", STORY.replace("Eastport", "Northport"), id="late")
    fresh_engine.collection.delete(ids=fresh_engine.collection.get(where={"article_id": SEED_ID})["ids"][:1])
    report = fresh_engine.check()
    assert report.no_file == ["bridge"]
    assert [Path(p).name for p in report.not_indexed] == ["late.md"]
    assert report.wrong_units == [SEED_ID]
    fresh_engine.repair(report)
    after = fresh_engine.check()
    assert after.clean, after.lines()
    assert {e.article.id for e in fresh_engine.articles()} == {SEED_ID, "late"}


def test_asking_an_empty_index_says_nothing_is_indexed(tmp_path: Path) -> None:
    empty = make_engine(tmp_path / "home", tmp_path / "corpus")
    answer = empty.ask("Who warned of another mobilization wave?")
    assert answer.abstained and answer.answer == NOTHING_INDEXED and "rag ingest" in answer.answer


def test_an_alias_file_merges_actors_and_a_broken_one_is_reported_not_fatal(
    fresh_engine: Engine, corpus_copy: Path
) -> None:
    fresh_engine.ingest(progress=False)
    aliases = corpus_copy / "actors.yaml"
    aliases.write_text("Moscow government: [Russia, Kremlin]\n", encoding="utf-8")
    rows = {row.actor for row in fresh_engine.library.actor_table()}
    assert "Moscow government" in rows and "Russia" not in rows
    aliases.write_text("[not, a, mapping\n", encoding="utf-8")
    assert any("actor aliases ignored: actors.yaml" in line for line in fresh_engine.check().lines())
    assert not fresh_engine.ask("What did Peskov say?").abstained
    assert "Russia" in {row.actor for row in fresh_engine.library.actor_table()}
