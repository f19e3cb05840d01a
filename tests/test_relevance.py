"""The relevance model (does this sentence answer this question?), the public answer-selection readers and
scores, and where the product uses the model: ranking, answerability, the answer phrase, routing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.actors.names import place_actors
from rag.engine import Engine
from rag.evaluation.answer_selection import Candidate, Question, clean, map_mrr, read_questions
from rag.index.postprocessors import AskedActorsCovered, leaning_on
from rag.models.relevance import relevance_model
from tests.conftest import ABSTENTION_MISSED, make_engine, run_cli

DUNMERE = Path("eval/fixtures/dunmere")
WIKIQA = (
    "QuestionID\tQuestion\tDocumentID\tDocumentTitle\tSentenceID\tSentence\tLabel\n"
    "Q1\twhen did the dam open\tD1\tDam\tD1-0\tThe dam is on the river Sela.\t0\n"
    "Q1\twhen did the dam open\tD1\tDam\tD1-1\tIt opened in 1978.\t1\n"
    "Q2\twho built the dam\tD1\tDam\tD1-0\tThe dam is on the river Sela.\t0\n"
)
TRECQA = 'qtext,label,atext\n"who built it ?",0,"it is big ."\n"who built it ?",1,"Ana built it ."\n'


@pytest.fixture(scope="module")
def dunmere_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(tmp_path_factory.mktemp("relevance-home"), DUNMERE)
    engine.ingest(progress=False)
    return engine


def test_the_model_rates_the_sentence_that_answers_above_ones_on_the_same_topic() -> None:
    question = "How many people would have to leave their villages?"
    sentences = [
        "About 3,000 residents would have to be moved from villages in the valley, an official said.",
        "The Ostrian government has not said how many residents would have to be moved.",
        "Energy Minister Petra Holm said the dam would supply power to 400,000 homes by 2029.",
    ]
    scores = relevance_model().scores(question, [(s, "") for s in sentences])
    assert scores[0] > scores[1] and scores[0] > scores[2] and np.all((scores >= 0) & (scores <= 1))


def test_a_sentence_that_refers_back_is_read_with_the_one_before() -> None:
    from llama_index.core.schema import NodeWithScore, TextNode

    article = "Chilean minister Tomás Herrera spoke on Monday. His government would fund 12 stations."
    start = article.index("His")
    leaning = NodeWithScore(node=TextNode(text=article[start:], metadata={"start": start}))
    alone = NodeWithScore(node=TextNode(text=article[:start].strip(), metadata={"start": 0}))
    assert leaning_on(article, leaning) == "Chilean minister Tomás Herrera spoke on Monday."
    assert leaning_on(article, alone) == ""


def test_every_actor_a_question_names_gets_a_passage_when_a_candidate_names_it() -> None:
    texts = [
        "Chile will fund two monitoring stations.",
        "Chilean engineers surveyed the river in May.",
        "The river floods most springs.",
        "La Paz says the pact ignores its farmers.",
    ]
    ranked = [NodeWithScore(node=TextNode(text=t), score=1.0 - i / 10) for i, t in enumerate(texts)]
    cover = AskedActorsCovered(actors=place_actors(), top_n=2)
    chosen = cover.postprocess_nodes(ranked, QueryBundle("Do Chile and Bolivia agree on the pact?"))
    assert [hit.node.get_content() for hit in chosen] == [texts[0], texts[3]], "Bolivia's passage (as La Paz) in"
    one_actor = cover.postprocess_nodes(ranked, QueryBundle("What will Chile fund?"))
    assert [hit.node.get_content() for hit in one_actor] == texts[:2], "one actor asked: the plain cut"


def test_a_comparison_of_two_actors_cites_both(seeded_engine: Engine) -> None:
    answer = seeded_engine.ask("Do some EU officials and Donald Trump see US participation the same way?")
    assert "would not require US participation" in answer.answer
    assert "Washington should not provide troops or funding" in answer.answer


def test_map_and_mrr_follow_their_definitions() -> None:
    yes, no = Candidate("y", True, ""), Candidate("n", False, "")
    questions = [Question("a", (no, yes, yes)), Question("b", (yes, no)), Question("c", (no, no))]
    scores = map_mrr(questions, lambda _, candidates: [float(i) for i in range(len(candidates))])
    # a: ranked yes, yes, no -> AP 1, RR 1; b: ranked no, yes -> AP 0.5, RR 0.5; c has no answer: not counted
    assert scores == {"questions": 2, "map": 0.75, "mrr": 0.75}


def test_wikiqa_and_trecqa_files_are_read_into_questions(tmp_path: Path) -> None:
    (tmp_path / "WikiQA-test.tsv").write_text(WIKIQA, encoding="utf-8")
    (tmp_path / "trec-test.csv").write_text(TRECQA, encoding="utf-8")
    wiki = read_questions(tmp_path / "WikiQA-test.tsv")
    assert [q.text for q in wiki] == ["when did the dam open", "who built the dam"]
    assert wiki[0].candidates[1] == Candidate("It opened in 1978.", True, "The dam is on the river Sela.")
    assert clean(wiki) == [wiki[0]], "only questions with a right and a wrong candidate are scored"
    trec = read_questions(tmp_path / "trec-test.csv")
    assert trec == [
        Question("who built it ?", (Candidate("it is big .", False, ""), Candidate("Ana built it .", True, "")))
    ]


@pytest.mark.subprocess
def test_eval_scores_the_public_answer_selection_tests_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "WikiQA-test.tsv").write_text(WIKIQA, encoding="utf-8")
    (tmp_path / "trec-test.csv").write_text(TRECQA, encoding="utf-8")
    result = run_cli(tmp_path / "home", "eval", "--answer-selection", str(tmp_path), "--json")
    rows = {row["file"]: row for row in json.loads(result.stdout)}
    assert rows.keys() == {"WikiQA-test.tsv", "trec-test.csv"}
    assert rows["trec-test.csv"]["relevance model"]["questions"] == 1


def test_when_outlets_give_different_numbers_the_answer_opens_with_each(dunmere_engine: Engine) -> None:
    answer = dunmere_engine.ask("How many homes would the dam supply with power?")
    first = answer.answer.splitlines()[0]
    assert "“400,000 homes”" in first and "“500,000 homes”" in first and "(the outlets differ)" in first
    assert answer.verified


def test_a_when_question_opens_with_the_date(dunmere_engine: Engine) -> None:
    answer = dunmere_engine.ask("By when would the dam supply power?")
    assert answer.answer.splitlines()[0].startswith("“") and "2029" in answer.answer.splitlines()[0]


def test_a_question_about_when_something_was_said_is_answered_by_the_date_of_saying(seeded_engine: Engine) -> None:
    """ "said in December" frames a report, so it does not answer "When was X decided?", but it does answer a
    question about the remark or warning itself."""
    for question, date in (
        ("When did Peskov make his remarks?", "December"),
        ("On which day did Zhuravlev give his warning?", "Friday"),
    ):
        answer = seeded_engine.ask(question)
        assert not answer.abstained and date in answer.answer.splitlines()[0], answer.answer


@ABSTENTION_MISSED
def test_the_related_fact_the_articles_do_not_hold_is_not_answered(dunmere_engine: Engine) -> None:
    assert dunmere_engine.ask("How much will the Dunmere dam cost?").abstained
    assert dunmere_engine.ask("Who won the Ostrian election?").abstained


def test_speaker_lines_are_shown_only_for_attributions_with_a_source(dunmere_engine: Engine) -> None:
    answer = dunmere_engine.ask("Which groups plan to go to court over the decision?")
    assert not answer.abstained and "reportedly plan to challenge" in answer.answer
    assert "no named source" not in answer.answer
    assert any(item["source"] is None for item in answer.attributions), "the hedge stays in the data"


@pytest.mark.export
def test_the_onnx_export_scores_as_the_trained_torch_model_does(tmp_path: Path) -> None:
    import torch

    from rag.models.cross_encoder import INPUTS, CrossEncoder, logits_module, onnx_logits, word_pieces
    from rag.models.onnx import exported
    from rag.models.relevance import MODEL_DIR

    model = logits_module(MODEL_DIR).eval()

    def torch_logits(*arrays: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(*(torch.from_numpy(a) for a in arrays)).numpy()

    onnx_file = exported(tmp_path / "relevance.onnx", lambda: model, INPUTS, "logits", {0: "batch"})
    assert [p.name for p in tmp_path.iterdir()] == ["relevance.onnx"]
    fresh = CrossEncoder(word_pieces(MODEL_DIR), onnx_logits(onnx_file))
    reference = CrossEncoder(word_pieces(MODEL_DIR), torch_logits)
    question = "How many residents would have to be moved?"
    passages = [
        ("About 3,000 residents would have to be moved from villages in the valley.", ""),
        ("His government would fund it.", "Chilean minister Tomás Herrera spoke on Monday."),
        ("Rain.", ""),
    ]
    expected = reference.scores(question, passages)
    for onnx_model in (fresh, relevance_model()):  # a fresh export, and the product's cached one
        assert np.abs(onnx_model.scores(question, passages) - expected).max() < 1e-4
