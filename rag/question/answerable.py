"""Whether retrieved passages answer a question at all, and if not, what is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag import settings
from rag.actors.names import ActorNames
from rag.attribution.extract import nlp
from rag.index.terms import QUESTION_WORDS, content_terms, matched, recall, tokens
from rag.question.plan import Expects, Plan

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

ANSWER_TYPES: dict[Expects, tuple[str, ...]] = {
    "time": ("DATE", "TIME"),
    "number": ("CARDINAL", "QUANTITY", "MONEY", "PERCENT"),
    "place": ("GPE", "LOC", "FAC"),
}
NOT_NER = ["tagger", "parser", "attribute_ruler", "lemmatizer"]
TYPE_WORDS: dict[Expects, str] = {"time": "a date or time", "number": "a number", "place": "a place"}


def _missing_words(question: str, wanted: set[str], present: set[str]) -> list[str]:
    missing = wanted - matched(wanted, present)
    words = [w for w in tokens(question) if w.lower() not in QUESTION_WORDS]
    return list(dict.fromkeys(w for w in words if content_terms(w) & missing))


def _typed_reason(plan: Plan, hits: list[NodeWithScore], present: list[set[str]], expects: Expects) -> str | None:
    """A when / where / how-many question stands when one passage holds everything it names, an answer
    of the wanted type, and one of its other words (a majority of them when it names nothing)."""
    rest = plan.words - plan.names
    for terms, hit in zip(present, hits, strict=True):
        holds = matched(plan.names, terms) == plan.names
        about = not rest or (
            recall(rest, terms) >= settings.MIN_TERM_RECALL if not plan.names else bool(matched(rest, terms))
        )
        if holds and about and _has_entity(hit.node.get_content(), ANSWER_TYPES[expects]):
            return None
    focus = ", ".join(_missing_words(plan.question, set(plan.names), set())) or "it"
    return f"No passage about {focus} gives {TYPE_WORDS[expects]}."


def _has_entity(text: str, labels: tuple[str, ...]) -> bool:
    """Named-entity recognition alone: the tagger, parser and lemmatizer would cost as much again."""
    return any(entity.label_ in labels for entity in nlp()(text, disable=NOT_NER).ents)


def unanswered_reason(
    plan: Plan, hits: list[NodeWithScore], actors: ActorNames, min_recall: float = settings.MIN_TERM_RECALL
) -> str | None:
    """Why the retrieved passages cannot answer the planned question, or None when they can.

    The bi-encoder alone cannot tell "What did Olaf Scholz say?" (cosine 0.57 to a passage about
    another speaker) from a real paraphrase, so lexical tests come first: every name in the question
    occurs in a candidate (or names an actor a candidate names otherwise: "Germany" for "Berlin"); a
    speaker asked about ("What did X say?") is named in one candidate. A when / where / how-many
    question then needs a candidate with its names and an answer of that type; any other question
    needs a majority of its content words in the candidates and, when none of them has the question's
    main verb ("Who won …?"), a candidate close in meaning.
    """
    if not hits:
        return "No indexed passage is related to it."
    if not plan.words:
        return "It has no word to look for in the articles (questions are matched in English)."
    texts = [hit.node.get_content() for hit in hits]
    present = [content_terms(f"{text} {actors.named_in(plan.actors, text)}") for text in texts]
    everywhere = set().union(*present)
    names, words = set(plan.names), set(plan.words)
    if matched(names, everywhere) != names:
        return f"No passage found about: {', '.join(_missing_words(plan.question, names, everywhere))}."
    speaker_terms = content_terms(plan.speaker) if plan.speaker else set()
    if speaker_terms and not any(matched(speaker_terms, content_terms(text)) == speaker_terms for text in texts):
        return f"No passage reports what {plan.speaker} said."
    if plan.expects is not None:
        return _typed_reason(plan, hits, present, plan.expects)
    if recall(words, everywhere) < min_recall:
        return f"The closest passages do not mention: {', '.join(_missing_words(plan.question, words, everywhere))}."
    best = max(hit.node.metadata.get("cosine", 1.0) for hit in hits)
    if best < settings.MIN_COSINE:
        return "No passage is close enough in meaning."
    if plan.predicate is not None and best < settings.PREDICATE_COSINE:
        written, lemma = plan.predicate
        if lemma not in {token.lemma_.lower() for doc in nlp().pipe(texts) for token in doc}:
            return f"The closest passages do not mention: {written}."
    return None
