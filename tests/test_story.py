"""A story's claims across five fictional outlets: who carries each claim, and every kind of drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.compare.articles import stories
from rag.compare.story import story_matrix
from rag.engine import Engine
from tests.conftest import make_engine
from tests.test_cli import run_cli

DUNMERE = Path("eval/fixtures/dunmere")
FESTIVAL = "coast-herald-lantern-festival"


@pytest.fixture(scope="module")
def dunmere_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(tmp_path_factory.mktemp("dunmere-home"), DUNMERE)
    report = engine.ingest(progress=False)
    assert len(report.added) == 6 and not report.errors
    return engine


@pytest.fixture(scope="module")
def matrix(dunmere_engine: Engine) -> dict:
    group = next(g for g in stories(dunmere_engine.library.article_views()) if len(g) > 1)
    assert FESTIVAL not in group and len(group) == 5
    return story_matrix(dunmere_engine.library.article_views(group))


def claim_with(matrix: dict, words: str) -> dict:
    return next(c for c in matrix["claims"] if any(words in cell["text"] for cell in c["cells"]))


def test_cells_are_exact_sentences_of_their_articles(dunmere_engine: Engine, matrix: dict) -> None:
    for claim in matrix["claims"]:
        assert len({cell["article_id"] for cell in claim["cells"]}) == len(claim["cells"])
        for cell in claim["cells"]:
            text = dunmere_engine.catalog.get(cell["article_id"]).article.text
            assert text[cell["start"] : cell["end"]] == cell["text"]


def test_each_kind_of_drift_is_named_in_the_outlets_words(matrix: dict) -> None:
    stance = claim_with(matrix, "cut the river's flow")
    assert len(stance["outlets"]) == 5
    assert "stance: “oppose” in The Ostrian Ledger, Coast Herald, Karsa Today; “concerned” in" in " ".join(
        stance["differences"]
    )
    assert any(
        d.startswith("relay:") and "according to “the Ostrian Ledger” in Northern Wire" in d
        for d in stance["differences"]
    )
    minister = " ".join(claim_with(matrix, "homes by 2029")["differences"])
    assert "“500,000”, “2029” in Coast Herald" in minister and "“Jonas Berg” in Coast Herald" in minister
    moved = " ".join(claim_with(matrix, "residents would have to be moved from villages")["differences"])
    assert "“5,000” in Coast Herald" in moved and "credited to the outlet itself in Coast Herald" in moved
    assert "“it is understood” in The Valley Times" in " ".join(claim_with(matrix, "approved plans")["differences"])
    assert "“reportedly” in The Ostrian Ledger, The Valley Times" in " ".join(
        claim_with(matrix, "challenge the decision")["differences"]
    )
    assert any("“Dunmore” in Coast Herald" in s for s in matrix["spellings"])


def test_claims_of_one_outlet_are_listed_too(matrix: dict) -> None:
    alone = claim_with(matrix, "has not said how many residents")
    assert alone["outlets"] == ["Karsa Today"]


def test_story_command(dunmere_engine: Engine) -> None:
    home = dunmere_engine.config.home
    result = run_cli(home, "story", "--json", corpus=DUNMERE)
    matrices = json.loads(result.stdout)
    assert len(matrices) == 1 and len(matrices[0]["articles"]) == 5
    text = run_cli(home, "story", corpus=DUNMERE).stdout
    assert "carried by 5 of 5" in text and "! stance: “oppose”" in text
