import json
from pathlib import Path

import pytest

from rag.actors.names import place_actors
from rag.attribution.extract import extract_attributions
from rag.compare.article_pairs import compare_articles, naming_differences, stories
from rag.compare.positions import actor_rows, stance
from rag.engine import Engine
from rag.ingest.articles import parse_article
from tests.conftest import SEED_ID, check_contract, make_engine, run_cli

FIXTURES = Path("eval/fixtures/port-alder")
COURIER, WIRE = "harbour-courier-port-alder-strike", "valdoria-daily-wire-port-alder-strike"
LAUCA = "andes-courier-lauca-water-pact"


@pytest.fixture(scope="module")
def story_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(tmp_path_factory.mktemp("story-home"))
    report = engine.ingest(["corpus", FIXTURES, Path("eval/fixtures/lauca")], progress=False)
    assert len(report.added) == 4 and not report.errors
    return engine


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("opposes the idea", "opposes"),
        ("are the most vocal advocates for a mission", "supports"),
        ("would be necessary if the talks fail", "conditional"),
        ("worry that the plan will fail", "concerned"),
        ("met on Tuesday", "no stated position"),
        ("does not support the plan", "opposes"),
        ("did not oppose the deal", "supports"),
        ("is not worried about the vote", "no stated position"),
        ("does not want to commit", "opposes"),
        ("gave different and significant figures", "no stated position"),
        ("sold shares in California", "no stated position"),
    ],
)
def test_stance_words_decide_a_position(text: str, position: str) -> None:
    assert stance(text) == position


def test_a_clause_about_another_noun_is_not_the_subjects_stance() -> None:
    body = "Berlin sent a force that would fight against Russia. Moscow rejected a plan that Paris supports.\n"
    front = "---\ntitle: Positions\noutlet: The Daily Test\ndate: 2025-03-01\n---\n"
    article = parse_article(front + body, "positions.md", default_id="positions")
    rows = actor_rows(article, extract_attributions(article.text), place_actors())
    assert {row.actor: row.position for row in rows} == {
        "Germany": "no stated position",
        "Russia": "opposes",
        "France": "supports",
    }


def test_seed_actor_table_keeps_exact_phrases_and_evidence(story_engine: Engine) -> None:
    rows = {row.actor: row for row in story_engine.library.actor_table(article_ids=[SEED_ID])}
    germany = rows["Germany"]
    assert germany.position == "opposes" and germany.phrases == ["Berlin"]
    assert germany.evidence[0].reported_by == "stated by Berlin (opposes, via The Times)"
    russia = rows["Russia"]
    assert russia.position == "opposes"
    assert {"Moscow", "Kremlin spokesman Dmitry Peskov", "Russia’s Foreign Intelligence Service"} <= set(russia.phrases)
    assert rows["United Kingdom"].position == "supports"
    assert rows["European Union"].position == "no stated position"
    text = story_engine.catalog.get(SEED_ID).article.text
    assert all(text[e.sentence.start : e.sentence.end] == e.sentence.text for r in rows.values() for e in r.evidence)


def test_a_story_without_europe_gets_its_actors_from_the_corpus(story_engine: Engine) -> None:
    rows = {row.actor: row for row in story_engine.library.actor_table(article_ids=[LAUCA])}
    assert rows["Bolivia"].position == "opposes" and {"La Paz", "Bolivian officials"} <= set(rows["Bolivia"].phrases)
    assert rows["Chile"].position == "supports" and "Santiago" in rows["Chile"].phrases
    assert rows["Green Future Party"].position == "opposes"
    assert set(rows["Tomás Herrera"].phrases) == {"Chilean Energy Minister Tomás Herrera", "Herrera"}
    assert {"Peru", "Carla Ruiz", "Iván Mamani", "Organization of American States"} <= rows.keys()
    assert not {"Europe", "Russia", "NATO", "Ruiz", "Herrera", "United States", "The Andes Courier"} & rows.keys()


def test_topic_keeps_only_evidence_about_it(story_engine: Engine) -> None:
    everything = sum(len(r.evidence) for r in story_engine.library.actor_table(article_ids=[SEED_ID]))
    on_topic = story_engine.library.actor_table("Moscow rejecting Western peacekeepers", [SEED_ID])
    assert 0 < sum(len(r.evidence) for r in on_topic) < everything


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "Compare Berlin's and London's positions",
            ["Germany (as “Berlin”): opposes", "United Kingdom (as “The UK", "”): supports"],
        ),
        ("Which actors oppose the mission and why?", ["Germany (as “Berlin”): opposes", "Russia (as "]),
    ],
)
def test_comparison_questions_get_side_by_side_cited_answers(
    story_engine: Engine, question: str, expected: list[str]
) -> None:
    answer = story_engine.ask(question, article_ids=[SEED_ID])
    assert answer.verified and not answer.abstained
    check_contract(answer, story_engine.catalog.get(SEED_ID).article.text)
    for line in expected:
        assert line in answer.answer


def test_outlets_covering_one_story_are_compared(story_engine: Engine) -> None:
    result = compare_articles(story_engine.library.article_views([COURIER, WIRE]))
    pair = result["pairs"][0]
    assert len(pair["shared"]) >= 4 and pair["only_a"] and pair["only_b"]
    differences = [d for shared in pair["shared"] for d in shared["attribution_differences"]]
    assert "cue: “told” in The Harbour Courier, “said:” in Valdoria Daily Wire" in differences
    assert "according to the Sarn Gazette in Valdoria Daily Wire, absent from The Harbour Courier" in differences
    assert (
        "speaker: “a senior port official” in The Harbour Courier, “An official” in Valdoria Daily Wire" in differences
    )
    kinds = {s["speaker"]: s["kind"] for s in result["sources"][WIRE]}
    assert kinds["The transport ministry"] == "named_organisation" and kinds["the Sarn Gazette"] == "outlet"


def test_spelling_variants_of_names_are_found() -> None:
    assert naming_differences("Talks in Kyiv ended. Zelensky spoke.", "Talks in Kiev ended. Zelenskyy spoke.") == [
        ("Kyiv", "Kiev"),
        ("Zelensky", "Zelenskyy"),
    ]
    assert naming_differences("Valdoria's port", "Valdoria port") == []


def test_articles_on_one_event_form_a_story(story_engine: Engine) -> None:
    found = stories(story_engine.library.article_views())
    assert sorted(found, key=lambda group: (len(group), group)) == [[LAUCA], [SEED_ID], [COURIER, WIRE]]


@pytest.mark.subprocess
def test_compare_commands(story_engine: Engine) -> None:
    home = story_engine.config.home
    table = json.loads(run_cli(home, "compare", "--article", SEED_ID, "--json").stdout)
    assert {"actor", "phrases", "position", "evidence"} <= table[0].keys()
    result = run_cli(home, "compare-articles", COURIER, WIRE)
    assert result.returncode == 0 and "! cue: “told” in The Harbour Courier" in result.stdout
    assert "story 1: The Harbour Courier 2025-03-03" in run_cli(home, "stories").stdout
    assert "No indexed article with id 'nope'" in run_cli(home, "compare-articles", COURIER, "nope").stderr
