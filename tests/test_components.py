"""Each answer component on a plan built by hand, over an article held in memory: no Chroma.

`MemoryLibrary` offers what the components read of a `Library` (and of its retrieval, actors and catalog),
built from the real chunker, the real attribution extractor and the real actor names; it picks units by
shared words, measures them as the pipeline does (the encoder's cosine, the question's names and words, the
real relevance model) and ranks them with the real answer ranker.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pytest
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag import settings
from rag.actors.names import ActorNames, place_names
from rag.attribution.spans import Attribution
from rag.compare.positions import ActorRow, actor_rows
from rag.index.postprocessors import AnswerRanker
from rag.index.terms import content_terms, name_terms, recall
from rag.ingest.articles import Article, load_article
from rag.ingest.pipeline import analyse_article
from rag.ingest.units import chunk_article
from rag.models.encoder import embed_model
from rag.models.linear import decision_model
from rag.models.relevance import relevance_model
from rag.question import components
from rag.question.answer import Citation
from rag.question.answer_phrase import answer_phrase
from rag.question.components import actor_comparison, did_say, fact, sources
from rag.question.compose import answer_line
from rag.question.plan import Kind, Plan, understand
from rag.question.verify import verify
from rag.store.speaker_index import StoredAttribution
from tests.conftest import ABSTENTION_MISSED

LAUCA = "eval/fixtures/lauca/andes-courier-lauca-water-pact.md"


class MemoryLibrary:
    def __init__(self, article: Article) -> None:
        self.article = article
        self.chunks = chunk_article(article)
        analysis = analyse_article(article, self.chunks)
        self.stored = [StoredAttribution(article.id, unit, a) for unit, a in analysis.attributions]
        self._names = ActorNames([*place_names(), *analysis.names])
        # The one object stands in for the library's parts the components read.
        self.catalog = self.speakers = self.retrieval = self.actors = self

    def names(self) -> ActorNames:
        return self._names

    def retrieve(
        self,
        question: str,
        top_k: int,
        article_ids: Sequence[str] | None = None,
        speakers: frozenset[str] | None = None,
        rerank: str = "answers",
    ) -> list[NodeWithScore]:
        spoken = {
            (item.article_id, item.unit)
            for item in self.stored
            if item.attribution.speaker and item.attribution.speaker.text.lower() in (speakers or ())
        }
        terms = content_terms(question)
        meta = {"article_id": self.article.id, "outlet": self.article.outlet, "title": self.article.title}
        hits = [
            NodeWithScore(
                node=TextNode(
                    text=c.text,
                    metadata={**meta, "date": self.article.date, "unit": c.index, "start": c.start, "end": c.end},
                ),
                score=recall(terms, content_terms(c.text)),
            )
            for c in self.chunks
            if speakers is None or (self.article.id, c.index) in spoken
        ]
        best = sorted(hits, key=lambda h: -(h.score or 0))[: settings.RELEVANCE_CANDIDATES]
        if rerank != "answers":
            return best[:top_k]
        texts = [h.node.get_content() for h in best]
        asked = np.asarray(embed_model().get_query_embedding(question))
        vectors = np.asarray(embed_model().get_text_embedding_batch(texts)) if texts else np.zeros((0, len(asked)))
        names = name_terms(question)
        relevances = self.relevance(question, texts)
        for hit, text, vector, relevance in zip(best, texts, vectors, relevances, strict=True):
            present = content_terms(text)
            hit.node.metadata.update(
                cosine=float(vector @ asked),
                names=recall(names, present),
                terms=recall(terms, present),
                relevance=float(relevance),
            )
        ranker = AnswerRanker(model=decision_model("passage"), top_n=top_k)
        return ranker.postprocess_nodes(best, QueryBundle(question))

    def relevance(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        return relevance_model().scores(question, [(s, "") for s in sentences])

    def articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        return {a: self.article for a in article_ids if a == self.article.id}

    def attributions_by_unit(self, article_ids: set[str]) -> dict[tuple[str, int], list[Attribution]]:
        grouped: dict[tuple[str, int], list[Attribution]] = {}
        for item in self.stored:
            grouped.setdefault((item.article_id, item.unit), []).append(item.attribution)
        return grouped

    def attributions(self, article_ids: set[str] | None = None) -> list[StoredAttribution]:
        return self.stored

    def phrases(self, words: list[str]) -> list[str]:
        phrases = {item.attribution.speaker.text.lower() for item in self.stored if item.attribution.speaker}
        return [phrase for phrase in phrases if all(w.lower() in phrase for w in words)]

    def unit_spans(self, keys: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, int]]:
        return {(self.article.id, c.index): (c.start, c.end) for c in self.chunks if (self.article.id, c.index) in keys}

    def articles_about(self, question: str, top_k: int) -> set[str]:
        return {self.article.id}

    def unknown_words(self, stems: frozenset[str]) -> set[str]:
        held = set().union(*(content_terms(c.text) for c in self.chunks))
        return set(stems) - held

    def passage(self, article_id: str, unit: int) -> NodeWithScore | None:
        chunk = next((c for c in self.chunks if c.index == unit), None)
        if chunk is None or article_id != self.article.id:
            return None
        meta = {"article_id": article_id, "unit": unit, "start": chunk.start, "end": chunk.end}
        return NodeWithScore(node=TextNode(text=chunk.text, metadata=meta), score=0.0)

    def actor_table(self, topic: str | None = None, article_ids: Sequence[str] | None = None) -> list[ActorRow]:
        return actor_rows(self.article, [s.attribution for s in self.stored], self._names)


@pytest.fixture(scope="module")
def library() -> MemoryLibrary:
    return MemoryLibrary(load_article(LAUCA))


def hand_plan(question: str, kind: Kind, **fields: Any) -> Plan:
    """A plan written by hand; only its word sets are computed, as `understand` would."""
    return Plan(
        question, kind, words=frozenset(content_terms(question)), names=frozenset(name_terms(question)), **fields
    )


def shown(answer: components.Answer, library: MemoryLibrary) -> str:
    """The answer text, after checking it passes the verifier against the article."""
    assert verify(answer, {library.article.id: library.article.text}) == []
    return answer.answer


def test_fact_cites_the_sentence_that_answers(library: MemoryLibrary) -> None:
    answer = fact.answer(hand_plan("Which country has welcomed the draft?", "fact"), library)
    assert not answer.abstained and "> Chile has welcomed the draft. [1]" in shown(answer, library)


@ABSTENTION_MISSED
def test_fact_with_an_expected_type_abstains_without_one(library: MemoryLibrary) -> None:
    plan = hand_plan("When did Chile welcome the draft?", "fact", actors={"Chile": ["Chile"]}, expects="time")
    answer = fact.answer(plan, library)
    assert answer.abstained and "gives a date or time" in answer.answer


def test_who_said_cites_only_where_the_speaker_speaks(library: MemoryLibrary) -> None:
    plan = hand_plan("What did Herrera say about the pact?", "who_said", speaker="Herrera")
    text = shown(fact.who_said(plan, library), library)
    assert "Speaker [1]: “Chilean Energy Minister Tomás Herrera” · cue “told” to “reporters”" in text
    assert "Rosa Quispe" not in text


def test_did_say_corrects_the_speaker_in_the_articles_words(library: MemoryLibrary) -> None:
    plan = hand_plan(
        "Did Carla Ruiz say the pact could be signed by September?",
        "did_say",
        speaker="Carla Ruiz",
        claim="the pact could be signed by September",
    )
    text = shown(did_say.answer(plan, library), library)
    assert text.startswith("No: the article does not attribute this to Carla Ruiz;")
    assert "“Chilean Energy Minister Tomás Herrera”" in text


def test_sources_lists_every_speaker_with_a_citation(library: MemoryLibrary) -> None:
    plan = hand_plan("Which sources does the article rely on?", "sources", scope=(library.article.id,))
    text = shown(sources.answer(plan, library), library)
    assert text.startswith("The Andes Courier (2025-06-10) relies on these sources:")
    for speaker in (
        "“Peruvian Foreign Minister Rosa Quispe”",
        "“Deputy Minister Iván Mamani”",
        "“Its leader, Carla Ruiz,”",  # PolNeAR's source span: the apposition, with its closing comma
    ):
        assert speaker in text


def test_actors_sets_positions_side_by_side_with_a_negated_stance(library: MemoryLibrary) -> None:
    plan = hand_plan(
        "Compare the positions of Lima and La Paz.", "actors", actors={"Peru": ["Lima"], "Bolivia": ["La Paz"]}
    )
    text = shown(actor_comparison.answer(plan, library), library)
    assert "Bolivia (as “La Paz”" in text and ": opposes [" in text
    assert "> Lima and Santiago moved closer on Monday" in text


def test_an_actor_comparison_with_nobody_to_compare_is_answered_as_its_fallback(library: MemoryLibrary) -> None:
    plan = hand_plan("Compare the positions of Ecuador and Kell.", "actors", actors={"Ecuador": ["Ecuador"]})
    assert actor_comparison.answer(plan, library) is None
    assert components.answer(plan, library, lambda answer: []).abstained


def test_an_answer_that_fails_verification_is_replaced_by_the_next_components(library: MemoryLibrary) -> None:
    plan = hand_plan(
        "Compare the positions of Lima and La Paz.", "actors", actors={"Peru": ["Lima"], "Bolivia": ["La Paz"]}
    )
    rejected = actor_comparison.answer(plan, library)
    assert rejected is not None

    def planted(answer: components.Answer) -> list[str]:
        return ["a planted problem"] if answer.answer == rejected.answer else []

    given = components.answer(plan, library, planted)
    assert given is not None and given.verified and given.answer != rejected.answer
    assert given.withheld == ["actors: a planted problem"]
    assert components.answer(plan, library, lambda answer: ["always wrong"]) is None


@pytest.mark.parametrize(
    ("question", "kind", "expects"),
    [
        ("What did Herrera say?", "who_said", None),
        ("Did Ruiz say the deal was rushed?", "did_say", None),
        ("Which sources does the article rely on?", "sources", None),
        ("Compare Lima and La Paz.", "actors", None),
        ("Which countries oppose the pact?", "actors", None),
        ("When could the pact be signed?", "fact", "time"),
        ("How many stations would Chile fund?", "fact", "number"),
        ("Where are the next talks?", "fact", "place"),
        ("Who won the vote?", "fact", "name"),
        ("In the Courier's story, who says the pact was rushed?", "fact", None),
        ("Whose reporting is the article based on?", "sources", None),
        ("Which outlet builds its story on quotes from the minister?", "outlets", None),
        ("Whom does each outlet credit for the figure?", "outlets", None),  # a source, not a name, is asked
    ],
)
def test_a_question_is_understood_once_into_a_plan(
    library: MemoryLibrary, question: str, kind: str, expects: str | None
) -> None:
    plan = understand(question, library.names())
    assert (plan.kind, plan.expects) == (kind, expects)


def test_pushing_back_is_opposing_not_backing(library: MemoryLibrary) -> None:
    assert understand("Who pushed back on the pact?", library.names()).stances == ("opposes",)
    assert understand("Who disputed the figures?", library.names()).stances == ("opposes",)
    assert understand("Who backs the pact?", library.names()).stances == ("supports",)


def test_the_plan_resolves_capitals_and_surnames_to_actors(library: MemoryLibrary) -> None:
    plan = understand("Did Herrera and La Paz agree?", library.names())
    assert plan.actors == {"Tomás Herrera": ["Herrera"], "Bolivia": ["La Paz"]}


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("How long had the ferry been sailing when the radio failed?", "about two hours"),
        ("Do the outlets agree on how long the ferry had been sailing?", "about two hours"),
        ("How long is the ferry?", "40-metre"),
        ("Do the outlets agree on how many passengers were aboard?", "35 passengers"),
    ],
)
def test_the_answer_phrase_is_of_the_asked_type(library: MemoryLibrary, question: str, phrase: str) -> None:
    sentence = (
        "The 40-metre ferry lost its radio over the weekend, about two hours into the crossing, with 35 passengers."
    )
    found = answer_phrase(understand(question, library.names()), sentence, 0, len(sentence))
    assert found is not None and found.text == phrase


def test_a_stretch_of_time_the_recogniser_misses_is_found_and_only_values_of_what_was_asked_are_lined_up(
    library: MemoryLibrary,
) -> None:
    plan = understand(
        "Do the outlets agree on how long the ferry had been sailing when the radio failed?", library.names()
    )
    first = "An hour into its crossing, the ferry's radio failed."
    found = answer_phrase(plan, first, 0, len(first))
    assert found is not None and found.text == "An hour"
    second = "Fuel for about 40 hours remained aboard, the operator said."
    texts = {"a": first, "b": second}
    citations = [
        Citation(1, "a", "Harbour Post", 0, len(first), first),
        Citation(2, "b", "Valley Times", 0, len(second), second),
    ]
    assert answer_line(plan, citations, texts) == "“An hour” [1]"  # 40 hours of fuel is another quantity
