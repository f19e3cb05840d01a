import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from rag import settings
from rag.engine import Engine
from rag.index import bm25
from tests.conftest import SEED_ID, article_file, make_engine

BRIDGE = "Mayor Ana Ortiz said the Eastport bridge would open in May.\n"


def bm25_versions(engine: Engine, question: str) -> set[tuple[str, str]]:
    pipeline = engine.library.retrieval.pipeline(10, dense=False, rerank=False)
    hits = pipeline.retrieve(engine.library.retrieval.query(question)) if pipeline else []
    return {(hit.node.metadata["article_id"], hit.node.metadata["content_hash"]) for hit in hits}


@pytest.fixture
def reads(fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    """Which articles the lexical index reads from the store: None means every unit (a full build)."""
    done: list[list[str] | None] = []
    read_units = fresh_engine.library.retrieval.stored_units

    def recorded(article_ids: Iterable[str] | None) -> Iterable:
        done.append(None if article_ids is None else sorted(article_ids))
        return read_units(article_ids)

    monkeypatch.setattr(fresh_engine.library.retrieval, "stored_units", recorded)
    return done


def test_added_changed_and_removed_articles_reach_bm25_without_a_full_rebuild(
    fresh_engine: Engine, corpus_copy: Path, reads: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "REBUILD_SHARE", 1.0)
    fresh_engine.ingest(progress=False)
    assert {a for a, _ in bm25_versions(fresh_engine, "Peskov")} == {SEED_ID} and reads == [None]

    path = article_file(corpus_copy, "bridge.md", BRIDGE, id="bridge")
    fresh_engine.ingest(progress=False)
    first = fresh_engine.catalog.hashes()["bridge"]
    assert ("bridge", first) in bm25_versions(fresh_engine, "When does the Eastport bridge open?")
    assert reads == [None, ["bridge"]]

    path.write_text(path.read_text(encoding="utf-8").replace("May", "June"), encoding="utf-8")
    fresh_engine.ingest(progress=False)
    second = fresh_engine.catalog.hashes()["bridge"]
    assert {v for v in bm25_versions(fresh_engine, "Eastport bridge") if v[0] == "bridge"} == {("bridge", second)}
    assert reads == [None, ["bridge"], ["bridge"]]

    fresh_engine.remove("bridge")
    assert not {a for a, _ in bm25_versions(fresh_engine, "Eastport bridge")} & {"bridge"}
    assert reads == [None, ["bridge"], ["bridge"]], "a removal needs no read: the main index hides it"


def test_main_index_is_rebuilt_once_changes_reach_the_share(
    fresh_engine: Engine, corpus_copy: Path, reads: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "REBUILD_SHARE", 0.5)
    for town in ("Eastport", "Westport"):
        article_file(corpus_copy, f"{town}.md", BRIDGE.replace("Eastport", town), id=town.lower())
    fresh_engine.ingest(progress=False)
    bm25_versions(fresh_engine, "bridge")
    article_file(corpus_copy, "northport.md", BRIDGE.replace("Eastport", "Northport"), id="northport")
    fresh_engine.ingest(progress=False)
    assert ("northport", fresh_engine.catalog.hashes()["northport"]) in bm25_versions(fresh_engine, "Northport")
    article_file(corpus_copy, "southport.md", BRIDGE.replace("Eastport", "Southport"), id="southport")
    article_file(corpus_copy, "harbour.md", BRIDGE.replace("Eastport bridge", "harbour wall"), id="harbour")
    fresh_engine.ingest(progress=False)
    assert "southport" in {a for a, _ in bm25_versions(fresh_engine, "Southport")}
    assert reads == [None, ["northport"], None], "3 changes on 3 articles exceed half: one full build"


def test_a_restart_loads_the_saved_bm25_index_and_reads_only_what_changed(
    fresh_engine: Engine, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "REBUILD_SHARE", 1.0)
    fresh_engine.ingest(progress=False)
    before = bm25_versions(fresh_engine, "Peskov")
    assert (fresh_engine.config.home / "bm25" / bm25.STAMP).is_file()
    article_file(corpus_copy, "bridge.md", BRIDGE, id="bridge")
    fresh_engine.ingest(progress=False)

    restarted = make_engine(fresh_engine.config.home, corpus_copy)
    done: list[list[str] | None] = []
    read_units = restarted.library.retrieval.stored_units
    monkeypatch.setattr(
        restarted.library.retrieval,
        "stored_units",
        lambda ids: done.append(None if ids is None else sorted(ids)) or read_units(ids),
    )
    assert bm25_versions(restarted, "Peskov") == before
    assert ("bridge", restarted.catalog.hashes()["bridge"]) in bm25_versions(restarted, "Eastport bridge")
    assert done == [["bridge"]], "the saved index covers the seed; only the article added since is read"
    assert not restarted.ask("When does the Eastport bridge open?").abstained


def test_bm25_returns_only_units_sharing_a_word_best_first(tmp_path: Path) -> None:
    from llama_index.core.schema import QueryBundle, TextNode

    texts = ["the bridge opens in May", "the port stays closed", "the bridge and the bridge toll", "rain in May"]
    units = [(str(i), t, {}) for i, t in enumerate(texts)]

    def fetch(ids: list[str]) -> list[TextNode]:
        return [TextNode(text=texts[int(i)], id_=i) for i in ids]

    built = bm25.UnitBM25Retriever.build(units, fetch)
    assert built is not None
    built.save(tmp_path)
    for index in (built, bm25.UnitBM25Retriever.load(tmp_path, fetch)):
        hits = index.retrieve(QueryBundle("bridge toll"))
        assert [hit.node.node_id for hit in hits] == ["2", "0"]
        assert hits[0].score > hits[1].score > 0
        assert index.retrieve(QueryBundle("volcano")) == []


@pytest.mark.parametrize("matching_share", [0.0, 0.0005, 0.01, 0.3, 1.0])
def test_top_scores_are_the_highest_positive_scores_best_first(matching_share: float) -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    scores = np.zeros(200_000, dtype=np.float32)
    matching = rng.choice(len(scores), int(matching_share * len(scores)), replace=False)
    scores[matching] = rng.integers(1, 50, len(matching)).astype(np.float32)  # many ties, as BM25 gives
    best = bm25.top_scores(scores, 40)
    expected = np.sort(scores[scores > 0])[::-1][:40]
    assert list(scores[best]) == list(expected)
    assert len(set(best.tolist())) == len(best)


def test_an_unreadable_saved_bm25_index_is_rebuilt(fresh_engine: Engine, corpus_copy: Path) -> None:
    fresh_engine.ingest(progress=False)
    before = bm25_versions(fresh_engine, "Peskov")
    saved = fresh_engine.config.home / "bm25" / "index"
    (saved / bm25.UNIT_IDS).write_text("not an array", encoding="utf-8")
    restarted = make_engine(fresh_engine.config.home, corpus_copy)
    assert bm25_versions(restarted, "Peskov") == before
    assert (saved / bm25.UNIT_IDS).read_bytes().startswith(b"\x93NUMPY"), "the rebuilt index is saved again"


def test_a_bm25_index_saved_by_another_tokeniser_is_rebuilt(fresh_engine: Engine, corpus_copy: Path) -> None:
    fresh_engine.ingest(progress=False)
    before = bm25_versions(fresh_engine, "Peskov")
    stamp = fresh_engine.config.home / "bm25" / bm25.STAMP
    saved = json.loads(stamp.read_text(encoding="utf-8"))
    assert saved["tokeniser"] == bm25.TOKENISER_VERSION
    stamp.write_text(json.dumps(saved["covers"]), encoding="utf-8")  # the layout before tokeniser versions
    restarted = make_engine(fresh_engine.config.home, corpus_copy)
    assert bm25_versions(restarted, "Peskov") == before
    assert json.loads(stamp.read_text(encoding="utf-8"))["tokeniser"] == bm25.TOKENISER_VERSION, "rebuilt and saved"


def test_a_speaker_scope_too_big_for_ids_is_filtered_before_fusion_cuts_candidates(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:

    question = "How many troops would a peacekeeping force need?"
    speaker = frozenset({"kremlin spokesman dmitry peskov"})
    spoken = {u for a, u in seeded_engine.catalog.speakers.spoken_units(speaker)}
    best_two = [hit.node.metadata["unit"] for hit in seeded_engine.library.retrieval.retrieve(question, 2)]
    assert spoken and not spoken & set(best_two), "the speaker's units are not among the question's best two"
    monkeypatch.setattr(settings, "ID_SCOPE_MOST", 0)  # the scope goes to filters, as a big one does
    monkeypatch.setattr(settings, "FUSED_CANDIDATES", 2)
    hits = seeded_engine.library.retrieval.retrieve(question, 5, speakers=speaker)
    assert hits and {hit.node.metadata["unit"] for hit in hits} <= spoken
