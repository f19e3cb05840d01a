"""Whether retrieved passages answer a question at all, and if not, what is missing.

The relevance model decides: the best passage must be rated at least `ANSWERS_AT` likely to answer the
question. Two checks of words come first, because a passage about the same event can answer a neighbouring
question: every name the question asks about is in a passage (or an actor a passage names otherwise:
"Germany" for "Berlin"), and a speaker asked about ("What did X say?") is named in one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rag import settings
from rag.actors.names import ActorNames
from rag.index.terms import QUESTION_WORDS, content_terms, matched, recall, tokens
from rag.question.answer_phrase import answer_phrase
from rag.question.plan import Expects, Plan

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore


TYPE_WORDS: dict[Expects, str] = {
    "time": "a date or time",
    "number": "a number",
    "amount": "an amount",
    "place": "a place",
    "duration": "a duration",
    "name": "a name",
}
Gate = Callable[[Plan, list["NodeWithScore"], ActorNames], "str | None"]  # why the passages do not answer


def _missing_words(question: str, wanted: set[str], present: set[str]) -> list[str]:
    missing = wanted - matched(wanted, present)
    words = [w for w in tokens(question) if w.lower() not in QUESTION_WORDS]
    return list(dict.fromkeys(w for w in words if content_terms(w) & missing))


def relevance(hit: NodeWithScore) -> float:
    """How likely the relevance model rates the passage to answer the question (0 when it was not read)."""
    return float(hit.node.metadata.get("relevance", 0.0))


def unworded_reason(plan: Plan, hits: list[NodeWithScore], actors: ActorNames, share: float) -> str | None:
    """For questions that do not ask for a fact: whether the outlets' coverage holds something ("Which outlets
    call the site Dunmore?") or whether a claim is in the articles ("Did X say Y?"). The name and speaker
    checks, then this share of the question's words in the passages. The relevance model, trained on questions
    that ask for a fact, rates such questions low whatever the passages: on the Dunmere set, gating questions
    across outlets by it took correct answers from 1.00 to 0.71."""
    reason = _names_reason(plan, hits, actors)
    if reason:
        return reason
    texts = [hit.node.get_content() for hit in hits]
    everywhere = set().union(*(content_terms(f"{t} {actors.named_in(plan.actors, t)}") for t in texts))
    if recall(set(plan.words), everywhere) < share:
        missing = _missing_words(plan.question, set(plan.words), everywhere)
        return f"The closest passages do not mention: {', '.join(missing)}."
    return None


def _names_reason(plan: Plan, hits: list[NodeWithScore], actors: ActorNames) -> str | None:
    """Why no passage can be about the question: none at all, no word to look for, a name the question asks
    about in none of them, or a speaker asked about named in none."""
    if not hits:
        return "No indexed passage is related to it."
    if not plan.words:
        return "It has no word to look for in the articles (questions are matched in English)."
    texts = [hit.node.get_content() for hit in hits]
    everywhere = set().union(*(content_terms(f"{t} {actors.named_in(plan.actors, t)}") for t in texts))
    names = set(plan.names)
    if matched(names, everywhere) != names:
        return f"No passage found about: {', '.join(_missing_words(plan.question, names, everywhere))}."
    speaker_terms = content_terms(plan.speaker) if plan.speaker else set()
    if speaker_terms and not any(matched(speaker_terms, content_terms(text)) == speaker_terms for text in texts):
        return f"No passage reports what {plan.speaker} said."
    return None


def unanswered_reason(
    plan: Plan, hits: list[NodeWithScore], actors: ActorNames, answers_at: float | None = None
) -> str | None:
    """Why the retrieved passages cannot answer the planned question, or None when they can; `answers_at`
    is the relevance the best passage needs (default `settings.ANSWERS_AT`)."""
    reason = _names_reason(plan, hits, actors)
    if reason:
        return reason
    threshold = settings.ANSWERS_AT if answers_at is None else answers_at
    answering = [hit for hit in hits if relevance(hit) >= threshold]
    if not answering:
        return "The closest passages are about it but do not answer it."
    if plan.expects is not None and not any(_gives(plan, hit) for hit in answering):
        return f"No passage that answers it gives {TYPE_WORDS[plan.expects]}."
    return None


def _gives(plan: Plan, hit: NodeWithScore) -> bool:
    """Whether the passage holds an answer of the type the question asks for ("When …?": a date)."""
    text = hit.node.get_content()
    return answer_phrase(plan, text, 0, len(text)) is not None
