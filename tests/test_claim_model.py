"""The claim-pair model (do two outlets' sentences carry the same claim?), the hand-label scorer, and where the
product uses it: a story's claims, each outlet's reading of an actor, every outlet's value for a quantity, and
outlet questions answered in the direction asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.compare.claim_pairs import Sentence, pair_signals
from rag.compare.story_claims import claims
from rag.engine import Engine
from rag.evaluation.outlet_labels import claim_pair_scores, score_outlet_labels
from rag.models.encoder import embed_model
from rag.models.linear import claim_pair_model
from tests.conftest import make_engine, run_cli

DUNMERE = Path("eval/fixtures/dunmere")


@pytest.fixture(scope="module")
def dunmere_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(tmp_path_factory.mktemp("claims-home"), DUNMERE)
    engine.ingest(progress=False)
    return engine


def test_the_model_tells_a_restatement_from_another_claim_on_the_same_subject() -> None:
    first = "Karsa and Velmar oppose the dam, saying it would cut the river's flow downstream."
    restated = "The dam is opposed by Velmar and Karsa, who say it would cut the flow of the river downstream."
    other = "The dam would supply power to 400,000 homes by 2029, the energy minister said."
    vectors = embed_model().get_text_embedding_batch([first, restated, other])

    def probability(a: int, b: int) -> float:
        texts = (first, restated, other)
        cosine = sum(x * y for x, y in zip(vectors[a], vectors[b], strict=True))
        return claim_pair_model().probability(pair_signals(cosine, Sentence.of(texts[a]), Sentence.of(texts[b])))

    assert probability(0, 1) > 0.5 > probability(0, 2)
    assert probability(1, 0) == pytest.approx(probability(0, 1)), "the order of the two sentences does not matter"


def test_claim_pairs_are_scored_by_the_claims_their_sentences_fall_in(dunmere_engine: Engine) -> None:
    texts = {entry.article.id: entry.article.text for entry in dunmere_engine.articles()}

    def sentence(article_id: str, words: str) -> dict:
        start = texts[article_id].index(words)
        return {"article_id": article_id, "start": start, "end": start + len(words)}

    homes = [sentence(a, "400,000 homes") for a in ("karsa-today-dunmere-dam", "ostrian-ledger-dunmere-dam")]
    moved = sentence("coast-herald-dunmere-dam", "residents would have to be moved")
    pairs = [{"a": homes[0], "b": homes[1], "same_claim": True}, {"a": homes[0], "b": moved, "same_claim": False}]
    found = claims(dunmere_engine.library.article_views([a for a in texts if a.endswith("dunmere-dam")]))
    scores = claim_pair_scores(found, pairs)
    assert scores["precision"] == 1.0 and scores["recall"] == 1.0


def test_outlet_labels_are_scored_against_claims_and_actor_rows(tmp_path: Path, dunmere_engine: Engine) -> None:
    texts = {entry.article.id: entry.article.text for entry in dunmere_engine.articles()}
    start = texts["karsa-today-dunmere-dam"].index("Karsa and Velmar oppose")
    row = {"article_id": "karsa-today-dunmere-dam", "start": start, "end": start + 20}
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "claim-pairs.jsonl").write_text(json.dumps({"a": row, "b": row, "same_claim": True}) + "\n")
    stance = {"article_id": "ostrian-ledger-dunmere-dam", "actor": "Velmar", "issue": "the dam", "stance": "opposes"}
    (labels / "stances.jsonl").write_text(json.dumps(stance) + "\n")
    scores = score_outlet_labels(dunmere_engine, labels)
    assert scores["claim_pairs"]["recall"] == 1.0 and scores["stance"]["accuracy"] == 1.0


@pytest.mark.subprocess
def test_eval_outlets_command_ingests_the_story_fresh(tmp_path: Path) -> None:
    labels = tmp_path / "labels"
    labels.mkdir()
    row = {"article_id": "karsa-today-dunmere-dam", "start": 0, "end": 10}
    (labels / "claim-pairs.jsonl").write_text(json.dumps({"a": row, "b": row, "same_claim": True}) + "\n")
    done = run_cli(tmp_path / "home", "eval-outlets", str(labels), "--articles", str(DUNMERE), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["claim_pairs"]["pairs"] == 1


def test_outlets_that_give_another_figure_are_not_counted_as_carrying_a_claim(dunmere_engine: Engine) -> None:
    answer = dunmere_engine.ask("Which outlets say the dam would power 400,000 homes?")
    assert answer.verified and answer.answer.startswith("4 of 5 outlets answer this"), answer.answer
    assert "With other figures: “500,000”" in answer.answer and "Coast Herald" in answer.answer


def test_a_value_question_shows_every_outlets_value(dunmere_engine: Engine) -> None:
    answer = dunmere_engine.ask("How many residents would be moved?")
    first = answer.answer.splitlines()[0]
    assert "3,000 residents" in first and "5,000 residents" in first and "(the outlets differ)" in first
    assert "has not said how many residents" in answer.answer, "the outlet that gives no figure is shown too"


def test_an_actors_position_is_read_outlet_by_outlet(dunmere_engine: Engine) -> None:
    answer = dunmere_engine.ask("Do the outlets agree on Velmar's position?")
    first = answer.answer.splitlines()[0]
    assert answer.verified and first.startswith("5 of 5 outlets give Velmar a position")
    assert "opposes in The Ostrian Ledger" in first and "concerned in Northern Wire" in first


def test_a_comparison_of_two_outlets_follows_the_order_the_question_names_them(dunmere_engine: Engine) -> None:
    answer = dunmere_engine.ask("What does karsa today's report include that the Ledger leaves out?")
    assert answer.answer.startswith("Karsa Today carries") and "missing from The Ostrian Ledger" in answer.answer
