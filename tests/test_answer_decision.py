"""The fitted answer ranker and answerability decision: the shipped models read the signals the pipeline
measures, order passages by them, and decide; nonsense and questions outside the corpus are not answered;
"Did X say Y?" names the source a neighbouring sentence gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.index.postprocessors import AnswerRanker, passage_signals
from rag.models.linear import LinearModel, decision_model
from rag.question.answer import Citation
from rag.question.answerable import question_signals
from rag.question.compose import answer_line
from rag.question.plan import Plan
from tests.conftest import article_file, make_engine


def candidate(text: str, **signals: float) -> NodeWithScore:
    return NodeWithScore(node=TextNode(text=text, metadata={"article_id": "a", "unit": 0, **signals}), score=0.0)


def test_a_linear_model_reads_its_features_by_name() -> None:
    model = LinearModel.fitted(["x", "y"], [1.0, 0.0], [2.0, 1.0], [2.0, -1.0], 0.5)
    assert model.logit({"x": 3.0, "y": 1.0, "unused": 9.0}) == pytest.approx(0.5 + 2.0 * 1.0 - 1.0)
    assert LinearModel.from_dict(model.to_dict()) == model
    with pytest.raises(KeyError, match="y"):
        model.probability({"x": 1.0})


def test_the_shipped_models_read_what_the_pipeline_measures() -> None:
    hits = [candidate("One.", cosine=0.5, names=1.0, terms=0.5, relevance=0.2), candidate("Two.", answers=0.1)]
    assert set(decision_model("passage").features) <= set(passage_signals(hits)[0])
    plan = Plan("What was said?", "fact", words=frozenset({"said"}))
    from rag.actors.names import ActorNames

    assert set(decision_model("question").features) <= set(question_signals(plan, hits, ActorNames([]), set()))


def test_the_answer_ranker_orders_candidates_by_its_model() -> None:
    model = LinearModel.fitted(["terms"], [0.0], [1.0], [4.0], -2.0)
    hits = [candidate("few words", terms=0.1), candidate("most words", terms=0.9), candidate("some", terms=0.5)]
    ranked = AnswerRanker(model=model, top_n=2).postprocess_nodes(hits, QueryBundle("q"))
    assert [hit.node.get_content() for hit in ranked] == ["most words", "some"]
    assert ranked[0].node.metadata["answers"] > ranked[1].node.metadata["answers"] > 0


@pytest.mark.parametrize("question", ["asdkjh qwpoeiru", "Who won the 1998 football World Cup?"])
def test_nonsense_and_questions_outside_the_corpus_are_not_answered(seeded_engine, question: str) -> None:
    assert seeded_engine.ask(question).abstained


def test_a_question_the_article_answers_in_its_words_is_answered(seeded_engine) -> None:
    answer = seeded_engine.ask("Which countries are reported to oppose the peacekeeping force?")
    assert not answer.abstained and answer.citations


def test_did_x_say_names_the_source_that_the_next_sentence_gives(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = (
        "The harbour in Velsk will close for repairs in March, and ferries will dock at Ostrov instead. "
        "This was announced by port authority spokeswoman Irena Kalna on Tuesday.\n\n"
        "Fishermen said the closure would cost them a season's catch."
    )
    article_file(corpus, "velsk-harbour.md", body, title="Velsk harbour to close", outlet="Coast Herald")
    engine = make_engine(tmp_path / "home", corpus)
    engine.ingest(progress=False)
    answer = engine.ask("Did the mayor of Velsk himself announce that the harbour would close for repairs?")
    assert not answer.abstained, answer.answer
    assert answer.answer.startswith("No:") and "Irena Kalna" in answer.answer
    assert any("This was announced by" in c.text for c in answer.citations)


def test_outlets_differ_only_when_two_outlets_give_different_values() -> None:
    text = "About 3,000 residents would be moved. As many as 5,000 residents would be moved."
    first, second = text.index("About"), text.index("As many")

    def citation(n: int, outlet: str, start: int, end: int) -> Citation:
        return Citation(n, "a", outlet, start, end, text[start:end])

    plan = Plan("How many residents would be moved?", "fact", expects="number", words=frozenset({"resid", "move"}))
    one_outlet = [citation(1, "Coast Herald", first, second - 1), citation(2, "Coast Herald", second, len(text))]
    two_outlets = [citation(1, "Coast Herald", first, second - 1), citation(2, "Karsa Today", second, len(text))]
    assert "(the outlets differ)" not in (answer_line(plan, one_outlet, {"a": text}) or "")
    assert "(the outlets differ)" in (answer_line(plan, two_outlets, {"a": text}) or "")
