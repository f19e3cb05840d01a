"""A story's claims across five fictional outlets: who carries each claim, and every kind of drift."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from rag.actors.names import ActorNames, Name, place_names
from rag.attribution.extract import extract_attributions
from rag.attribution.spans import Span
from rag.compare.article_pairs import UnitView, stories
from rag.compare.story_claims import Cell, Claim, numbers, stance_words, story_matrix
from rag.engine import Engine
from rag.ingest.articles import Article
from rag.question.compose import compared_value, same_value
from rag.question.plan import outlets_named
from rag.question.verify import verify
from rag.store.catalog import Outlets
from tests.conftest import make_engine, run_cli

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
    assert "“500,000” in Coast Herald" in minister and "“Jonas Berg” in Coast Herald" in minister
    assert "2029" not in minister, "a year is not a figure to compare"
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


def test_an_outlet_carrying_a_claim_in_two_sentences_counts_once(dunmere_engine: Engine, matrix: dict) -> None:
    ids = [a["id"] for a in matrix["articles"]]
    herald, ledger = (
        next(v for v in dunmere_engine.library.article_views(ids) if v.article.outlet == name)
        for name in ("Coast Herald", "The Ostrian Ledger")
    )
    with_figures = [u for u in herald.units if re.search(r"\d", u.span.text)][:1]
    without = [u for u in herald.units if not re.search(r"\d", u.span.text)][:1]
    claim = Claim([Cell(herald.article, u) for u in with_figures + without] + [Cell(ledger.article, ledger.units[0])])
    assert claim.outlets == ["Coast Herald", "The Ostrian Ledger"]
    numbers = next((d for d in claim.differences() if d.startswith("numbers:")), "")
    assert "none in Coast Herald" not in numbers, "the Herald's sentence without a figure hides the one with it"


@pytest.mark.subprocess
def test_story_command(dunmere_engine: Engine) -> None:
    home = dunmere_engine.config.home
    result = run_cli(home, "story", "--json", corpus=DUNMERE)
    matrices = json.loads(result.stdout)
    assert len(matrices) == 1 and len(matrices[0]["articles"]) == 5
    text = run_cli(home, "story", corpus=DUNMERE).stdout
    assert "carried by 5 of 5" in text and "! stance: “oppose”" in text and "Northern Wire [wire service]" in text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "Do the outlets agree on whether Karsa and Velmar oppose the dam?",
            ["All 5 outlets answer this", "stance: “oppose” in The Ostrian Ledger, Coast Herald, Karsa Today"],
        ),
        (
            "Which outlets call the site Dunmore?",
            ["1 of 5 outlets answer this: Coast Herald [1]", "The other 4 do not."],
        ),
        (
            "What does the Ledger report include that Karsa Today leaves out?",
            ["The Ostrian Ledger carries 2 claim(s) missing from Karsa Today"],
        ),
        (  # the outlet named last before "leaves out" is the one that omits, whatever order they come in
            "Which claims does the Ledger report leave out that Karsa Today includes?",
            ["Karsa Today carries 1 claim(s) missing from The Ostrian Ledger", "has not said how many"],
        ),
        ("Which sources does the Coast Herald report rely on?", ["Coast Herald (2025-09-03) relies on these sources:"]),
        ("How did the crowd at the lantern festival compare across the outlets?", ["Only Coast Herald"]),
        (  # a sentence before the question only sets the scene: every claim the Ledger lacks is asked for
            "Karsa Today and the Ledger cover the dam. What does the Ledger include that Karsa Today leaves out?",
            ["The Ostrian Ledger carries 2 claim(s) missing from Karsa Today"],
        ),
        (
            "What does the state media coverage include that the other outlets leave out?",
            ["The state media coverage carries 1 claim(s) missing from the other outlets:", "has not said how many"],
        ),
        ("Which sources does the wire service rely on?", ["Northern Wire (2025-09-02) relies on these sources:"]),
        (  # a passage on the subject that gives no figure is no answer to "how many"
            "Do the outlets agree on how many residents would have to be moved?",
            ["4 of 5 outlets answer this", "(the outlets differ)", "Cited without a figure: Karsa Today ["],
        ),
        (  # the values right after the outlets that answer, with a verdict
            "Do the outlets agree on how many homes the dam would power?",
            ["All 5 outlets answer this", "\n“400,000 homes” [", "“500,000 homes” [", "(the outlets differ)\n"],
        ),
        (
            "Do Karsa Today and the Ledger agree on how many homes the dam would power?",
            [
                "All 2 outlets answer this: Karsa Today [1], The Ostrian Ledger [2].\n“400,000 homes” [1][2]",
                "“400,000 homes” [1][2] (the outlets agree)",
            ],
        ),
        (  # each outlet's sources for the claim, an outlet it was told to among them
            "Whom do The Valley Times and Northern Wire credit for the number of residents who would be moved?",
            [
                "Whom each outlet credits:\n- The Valley Times: “a senior ministry official”, “the Ostrian Ledger” [1]",
                "- Northern Wire: “an official” [2]",
            ],
        ),
        (  # an outlet with no source for the claim says so
            "Which news organisation does each outlet credit for the concern of Karsa and Velmar?",
            ["- Northern Wire: “Karsa and Velmar”, “the Ostrian Ledger” [1]", "- Karsa Today: “Karsa and Velmar” ["],
        ),
        (  # the outlets whose sources bear the names asked, wherever in the article they speak
            "Which outlets cite Petra Holm?",
            ["4 of 5 outlets answer this:", "- Karsa Today: “Energy Minister Petra Holm” [", "The other one does not."],
        ),
    ],
)
def test_the_chat_answers_questions_about_outlets(dunmere_engine: Engine, question: str, expected: list[str]) -> None:
    answer = dunmere_engine.ask(question)
    assert answer.verified and not answer.abstained
    for line in expected:
        assert line in answer.answer
    for citation in answer.citations:
        assert (
            dunmere_engine.catalog.get(citation.article_id).article.text[citation.start : citation.end] == citation.text
        )


def test_an_outlet_question_the_story_does_not_answer_abstains(dunmere_engine: Engine) -> None:
    assert dunmere_engine.ask("Do the outlets agree on who won the Ostrian election?").abstained


def test_outlets_are_recognised_by_name_word_or_id() -> None:
    names = ActorNames([*place_names(), Name("Karsa", "Karsa", "GPE")])
    outlets = Outlets(
        {"The Ostrian Ledger": ("ostrian-ledger-dunmere-dam",), "Karsa Today": ("karsa-today-dunmere-dam",)}
    )
    assert outlets_named("What does the Ledger say?", outlets, names)[0] == {
        "The Ostrian Ledger": outlets.articles["The Ostrian Ledger"]
    }
    assert outlets_named("What does karsa-today-dunmere-dam say?", outlets, names)[0].keys() == {"Karsa Today"}
    assert outlets_named("Does the ostrian ledger quote anyone?", outlets, names)[0].keys() == {"The Ostrian Ledger"}
    assert outlets_named("Why does Karsa oppose the dam?", outlets, names)[0] == {}, (
        "a place is not its namesake outlet"
    )
    assert outlets_named("What does Karsa's report say?", outlets, names)[0].keys() == {"Karsa Today"}
    assert outlets_named("Which outlet quotes the Ledger Gazette?", outlets, names)[0] == {}, (
        "a word of an outlet's name inside a longer name is not the outlet"
    )
    dotted = Outlets({"Harbour A.M.": ("harbour-am",), "Karsa Today": ("karsa-today-dunmere-dam",)})
    assert outlets_named("Do Harbour A.M. and Karsa Today agree?", dotted, names)[0].keys() == {
        "Harbour A.M.",
        "Karsa Today",
    }


def test_outlets_running_one_text_are_named_and_counted_once(dunmere_engine: Engine, matrix: dict) -> None:
    assert sorted(matrix["same_text"][0]) == sorted(a["outlet"] for a in matrix["articles"])
    answer = dunmere_engine.ask("Do the reports agree on when the dam would supply power?")
    assert "Run the same text: " in answer.answer and "counted once, 1 independent account(s) answer." in answer.answer


def test_an_outlet_count_that_disagrees_with_its_citations_is_withheld(dunmere_engine: Engine) -> None:
    answer = dunmere_engine.ask("Do the reports agree on when the dam would supply power?")
    texts = {c.article_id: dunmere_engine.catalog.get(c.article_id).article.text for c in answer.citations}
    assert answer.answer.startswith("All 5 outlets answer this") and verify(answer, texts) == []
    inflated = replace(answer, answer=answer.answer.replace("All 5 outlets", "4 of 5 outlets", 1))
    assert any("cites 5 outlet(s)" in p for p in verify(inflated, texts))


def test_a_bare_four_digit_number_in_the_range_of_years_is_no_figure_to_compare() -> None:
    sentence = SimpleNamespace(text="Divers found 1912 pieces of debris and a 2,000-pound frame.")  # 1912: CARDINAL
    assert numbers(sentence) == "“2,000”", "counts of a thousand or more are written with a comma"


def test_values_compare_however_each_outlet_writes_them() -> None:
    assert compared_value("66%") == compared_value("66 per cent")
    assert compared_value("about 3,000 residents") == compared_value("some 3,000 residents")
    assert compared_value("3,000 residents") != compared_value("5,000 residents")


def test_a_length_agrees_in_any_unit_an_outlet_converts_it_to() -> None:
    def same(a: str, b: str) -> bool:
        return same_value(compared_value(a), compared_value(b))

    assert same("200 km", "124 miles") and same("200 kilometers", "120 miles") and same("900 miles", "1,450 km")
    assert not same("200 km", "300 km") and not same("200 km", "200 kg")
    assert not same("$5m", "$5.1m"), "m is not metres: these are two amounts"


def test_a_stance_is_an_actors_own_cue_not_a_word_of_the_narration() -> None:
    def cell(text: str) -> Cell:
        article = Article("a", "A story", "Harbour Post", "2025-03-01", text)
        unit = UnitView(0, Span.of(text, 0, len(text)), np.zeros(3), extract_attributions(text, "Harbour Post"))
        return Cell(article, unit)

    assert stance_words(cell("The minister said the strike would not affect the campaign against the rebels.")) == ""
    assert stance_words(cell("If the mayor returns, he would lead the council again, according to one aide.")) == ""
    assert stance_words(cell("The dockers' union opposes the plan, arguing that it would cut jobs.")) == "“opposes”"
