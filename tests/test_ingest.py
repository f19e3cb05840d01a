import sqlite3
from pathlib import Path

import pytest

from rag import settings
from rag.engine import Engine
from rag.ingest import pipeline
from rag.store.catalog import Catalog
from rag.store.database import CatalogDatabase
from rag.store.writes import CatalogWrites
from tests.conftest import SEED_ARTICLE, SEED_ID, article_file, make_engine

STORY = (
    "The mayor of Eastport announced a new bridge on Tuesday. "
    '"This bridge will connect our people," Mayor Ana Ortiz said at the ceremony.\n\n'
    "Critics, according to the Eastport Herald, called the plan too costly.\n"
)


def unit_ids(engine: Engine, article_id: str) -> list[str]:
    return engine.collection.get(where={"article_id": article_id})["ids"]


def power_cut(*_: object, **__: object) -> None:
    raise RuntimeError("power cut")


def test_reingesting_unchanged_files_does_no_work(fresh_engine: Engine) -> None:
    first = fresh_engine.ingest(progress=False)
    before = fresh_engine.collection.count()
    second = fresh_engine.ingest(progress=False)
    assert first.added == [SEED_ID] and first.units == before > 0
    assert second.unchanged == [SEED_ID] and second.units == 0 and not second.added
    assert fresh_engine.collection.count() == before


def test_changed_article_replaces_its_units(fresh_engine: Engine, corpus_copy: Path) -> None:
    path = article_file(corpus_copy, "bridge.md", STORY, id="bridge")
    fresh_engine.ingest(progress=False)
    old = set(unit_ids(fresh_engine, "bridge"))
    path.write_text(
        path.read_text(encoding="utf-8") + "\nThe council will vote on the bridge in May.\n", encoding="utf-8"
    )
    report = fresh_engine.ingest(progress=False)
    new = set(unit_ids(fresh_engine, "bridge"))
    assert report.updated == ["bridge"] and report.unchanged == [SEED_ID]
    assert not old & new and len(new) == fresh_engine.catalog.get("bridge").n_units == len(old) + 1
    answer = fresh_engine.ask("When will the council vote on the bridge?")
    assert not answer.abstained and "May" in answer.answer


def test_batches_and_writes_split_across_articles_keep_every_unit(
    fresh_engine: Engine, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "WRITE_BATCH_UNITS", 4)
    monkeypatch.setattr(pipeline, "CHROMA_MAX_WRITE", 2)
    for town in ("Eastport", "Westport", "Northport"):
        article_file(corpus_copy, f"{town}.md", STORY.replace("Eastport", town), id=town.lower())
    report = fresh_engine.ingest(progress=False)
    assert sorted(report.added) == sorted([SEED_ID, "eastport", "westport", "northport"])
    for article_id in report.added:
        assert len(unit_ids(fresh_engine, article_id)) == fresh_engine.catalog.get(article_id).n_units
    assert fresh_engine.collection.count() == report.units
    assert "Westport Herald" in fresh_engine.ask("What did the Westport Herald report about critics?").answer


def test_units_are_stored_with_their_own_metadata_and_older_records_still_answer(
    fresh_engine: Engine, corpus_copy: Path
) -> None:
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    article_file(corpus_copy, "bridge.md", STORY, id="bridge")
    fresh_engine.ingest(progress=False)
    stored = fresh_engine.collection.get(
        where={"article_id": "bridge"}, include=["embeddings", "metadatas", "documents"]
    )
    assert {key for meta in stored["metadatas"] for key in meta} == {
        "article_id",
        "content_hash",
        "unit",
        "start",
        "end",
    }
    assert stored["documents"] == [None] * len(stored["ids"]), "a unit's text is its article's, in the catalog"
    # Rewrite the article's units as llama-index's ChromaVectorStore.add wrote them: text and serialized node.
    text = fresh_engine.catalog.get("bridge").article.text
    fresh_engine.collection.delete(ids=stored["ids"])
    ChromaVectorStore(chroma_collection=fresh_engine.collection).add(
        [
            TextNode(
                id_=i,
                text=text[meta["start"] : meta["end"]],
                metadata={**meta, "outlet": "Eastport Herald"},
                embedding=list(vector),
            )
            for i, meta, vector in zip(stored["ids"], stored["metadatas"], stored["embeddings"], strict=True)
        ]
    )
    assert "_node_content" in fresh_engine.collection.get(ids=stored["ids"][:1])["metadatas"][0]
    answer = fresh_engine.ask("What did Mayor Ana Ortiz say about the bridge?")
    cited = [c for c in answer.citations if c.article_id == "bridge"]
    assert not answer.abstained and cited and "This bridge will connect our people" in answer.answer
    assert all(text[c.start : c.end] == c.text for c in cited)


def test_removed_article_leaves_nothing(fresh_engine: Engine, corpus_copy: Path) -> None:
    article_file(corpus_copy, "bridge.md", STORY, id="bridge")
    fresh_engine.ingest(progress=False)
    assert fresh_engine.remove("bridge")
    assert unit_ids(fresh_engine, "bridge") == [] and fresh_engine.catalog.get("bridge") is None
    assert not fresh_engine.remove("bridge")
    assert fresh_engine.ask("What did Mayor Ana Ortiz say about the bridge?").abstained


def test_crash_mid_ingest_leaves_no_half_written_article(
    fresh_engine: Engine, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_engine.ingest(progress=False)
    article_file(corpus_copy, "bridge.md", STORY, id="bridge")
    monkeypatch.setattr(CatalogWrites, "commit", power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        fresh_engine.ingest(progress=False)
    assert unit_ids(fresh_engine, "bridge"), "units were written before the crash"
    assert fresh_engine.catalog.get("bridge") is None
    assert fresh_engine.ask("What did Mayor Ana Ortiz say about the bridge?").abstained
    monkeypatch.undo()
    report = fresh_engine.ingest(progress=False)
    assert report.added == ["bridge"]
    assert len(unit_ids(fresh_engine, "bridge")) == fresh_engine.catalog.get("bridge").n_units


def test_units_a_crash_left_are_swept_once_their_article_is_gone(
    fresh_engine: Engine, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_engine.ingest(progress=False)
    path = article_file(corpus_copy, "bridge.md", STORY, id="bridge")
    monkeypatch.setattr(CatalogWrites, "commit", power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        fresh_engine.ingest(progress=False)
    monkeypatch.undo()
    path.unlink()
    assert unit_ids(fresh_engine, "bridge") and fresh_engine.catalog.writes.pending() == ["bridge"]
    fresh_engine.ingest(progress=False)
    assert unit_ids(fresh_engine, "bridge") == [] and fresh_engine.catalog.writes.pending() == []
    assert fresh_engine.collection.count() == fresh_engine.catalog.get(SEED_ID).n_units


def test_interrupted_removal_is_finished_by_the_next_ingest(
    fresh_engine: Engine, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = article_file(corpus_copy, "bridge.md", STORY, id="bridge")
    fresh_engine.ingest(progress=False)
    path.unlink()
    monkeypatch.setattr(type(fresh_engine.collection), "delete", power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        fresh_engine.remove("bridge")
    monkeypatch.undo()
    assert fresh_engine.catalog.get("bridge") is None and unit_ids(fresh_engine, "bridge")
    fresh_engine.ingest(progress=False)
    assert unit_ids(fresh_engine, "bridge") == [] and fresh_engine.catalog.writes.pending() == []


def test_catalog_reset_sweeps_units_of_articles_no_longer_in_the_corpus(
    fresh_engine: Engine, corpus_copy: Path
) -> None:
    path = article_file(corpus_copy, "bridge.md", STORY, id="bridge")
    fresh_engine.ingest(progress=False)
    path.unlink()
    with sqlite3.connect(fresh_engine.config.catalog_path) as conn:
        conn.execute("PRAGMA user_version = 1")
    reopened = make_engine(fresh_engine.config.home, corpus_copy)
    assert reopened.ingest(progress=False).added == [SEED_ID]
    assert unit_ids(reopened, "bridge") == []
    assert reopened.collection.count() == reopened.catalog.get(SEED_ID).n_units


def test_bad_files_and_duplicates_are_rejected_without_losing_the_rest(fresh_engine: Engine, corpus_copy: Path) -> None:
    (corpus_copy / "empty.md").write_bytes(b"")
    (corpus_copy / "binary.txt").write_bytes(b"\x89PNG\x00\x00")
    (corpus_copy / "copy.md").write_bytes(SEED_ARTICLE.read_bytes().replace(b"id: mna-", b"id: copy-of-mna-"))
    article_file(corpus_copy, "bridge.md", STORY, id="bridge")
    report = fresh_engine.ingest(progress=False)
    assert len(report.added) == 2 and "bridge" in report.added
    assert {SEED_ID, f"copy-of-{SEED_ID}"} & set(report.added), "one of the two identical texts is kept"
    assert len(report.errors) == 3
    assert any("empty" in e for e in report.errors) and any("binary" in e for e in report.errors)
    assert any("duplicate" in e for e in report.errors)
    tiny = article_file(corpus_copy, "tiny.md", "Hello.\n", id="tiny")
    assert "no sentence of 3+ words" in fresh_engine.ingest([tiny], progress=False).errors[0]
    assert fresh_engine.catalog.get("tiny") is None
    later = article_file(corpus_copy, "later.md", STORY, id="bridge-again")
    assert "duplicate" in fresh_engine.ingest([later], progress=False).errors[0]


def test_catalog_maps_follow_another_process_s_changes_reading_only_the_changed_rows(
    fresh_engine: Engine, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_engine.ingest(progress=False)
    reader = make_engine(fresh_engine.config.home, corpus_copy)  # another process, answering questions
    reader.catalog.hashes()
    reader.library.outlets()
    whole_reads: list[str] = []
    query = CatalogDatabase.query
    readers_database = reader.catalog._db

    def recorded(db: CatalogDatabase, sql: str, args: tuple = ()) -> list:
        if db is readers_database and "FROM articles" in sql and "WHERE" not in sql:
            whole_reads.append(sql)
        return query(db, sql, args)

    monkeypatch.setattr(CatalogDatabase, "query", recorded)

    def current() -> tuple[dict, dict]:
        whole = Catalog(fresh_engine.config)
        return whole.hashes(), whole.outlets().articles

    path = article_file(corpus_copy, "bridge.md", STORY, id="bridge", outlet="Eastport Herald")
    fresh_engine.ingest(progress=False)
    assert (reader.catalog.hashes(), reader.library.outlets().articles) == current()
    path.write_text(path.read_text(encoding="utf-8").replace("Tuesday", "Monday"), encoding="utf-8")
    fresh_engine.ingest(progress=False)
    assert reader.catalog.hashes() == current()[0]
    assert whole_reads == [], "an added or changed article is read alone"
    fresh_engine.remove("bridge")
    assert (reader.catalog.hashes(), reader.library.outlets().articles) == current()
    assert "bridge" not in reader.catalog.hashes() and "Eastport Herald" not in reader.library.outlets().articles
