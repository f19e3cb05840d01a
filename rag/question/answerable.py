"""Whether retrieved passages answer a question at all, and if not, why.

One fitted model decides (`decision_model("question")`, a logistic regression fitted by
`train/answer_decision.py` on public and news questions, scored story by story): it weighs the answer
ranker's best probability and its margin over the next passage, the relevance model's best, the best
cosine, the share of the question's names (and of the speaker asked about) and of its words that the best
passages hold, the share of its words no article holds at all, and whether the best passage gives an answer
of the type asked ("When …?": a date). No signal
vetoes alone: a name missing from the passages ("TV", a region's other name) lowers the odds; it does not
decide. When the model abstains, the reason shown is the weakest of these signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag import settings
from rag.actors.names import ActorNames
from rag.index.postprocessors import logit
from rag.index.terms import QUESTION_WORDS, content_terms, matched, recall, tokens
from rag.models.linear import decision_model
from rag.question.answer_phrase import answer_phrase
from rag.question.plan import Expects, Plan

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

    from rag.index.library import Library


TYPE_WORDS: dict[Expects, str] = {
    "time": "a date or time",
    "number": "a number",
    "amount": "an amount",
    "place": "a place",
    "duration": "a duration",
    "name": "a name",
}
# The decision reads the words and answer types of the best `CITED` passages (an answer cites up to three), and
# the names and scores of the best `CONSIDERED` (those a question retrieves by default).
CITED = 3
CONSIDERED = 5


def _missing_words(question: str, wanted: set[str], present: set[str]) -> list[str]:
    missing = wanted - matched(wanted, present)
    words = [w for w in tokens(question) if w.lower() not in QUESTION_WORDS]
    return list(dict.fromkeys(w for w in words if content_terms(w) & missing))


def relevance(hit: NodeWithScore) -> float:
    """How likely the relevance model rates the passage to answer the question (0 when it was not read)."""
    return float(hit.node.metadata.get("relevance", 0.0))


def answers(hit: NodeWithScore) -> float:
    """How likely the answer ranker rates the passage to hold the answer (0 when it was not ranked)."""
    return float(hit.node.metadata.get("answers", 0.0))


def _asked_names(plan: Plan) -> set[str]:
    """The question's names, and the words of the speaker it asks about ("What did X say?")."""
    return set(plan.names) | (content_terms(plan.speaker) if plan.speaker else set())


def _present(plan: Plan, hits: list[NodeWithScore], actors: ActorNames) -> list[set[str]]:
    """The words each passage holds, with the names of the asked actors it names otherwise ("Berlin" for
    "Germany")."""
    texts = [hit.node.get_content() for hit in hits]
    return [content_terms(f"{text} {actors.named_in(plan.actors, text)}") for text in texts]


def question_signals(plan: Plan, hits: list[NodeWithScore], actors: ActorNames, unknown: set[str]) -> dict[str, float]:
    """What the decision reads of the best passages (`hits` as ranked, at least one) and of the question's
    words that no article holds (`unknown`)."""
    considered = hits[:CONSIDERED]
    present = _present(plan, considered, actors)
    cited = set().union(*present[:CITED])
    ranked = [logit(answers(hit)) for hit in hits[:2]]
    wanted = _asked_names(plan)
    typed = plan.expects is not None
    return {
        "best": ranked[0],
        "margin": ranked[0] - (ranked[1] if len(ranked) > 1 else logit(0.0)),
        "relevance": max(logit(relevance(hit)) for hit in considered),
        "cosine": max(float(hit.node.metadata.get("cosine", 0.0)) for hit in considered),
        "named": float(bool(wanted)),
        "names": recall(wanted, set().union(*present)),
        "terms": recall(set(plan.words), present[0]),
        "terms_top": recall(set(plan.words), cited),
        "typed": float(typed),
        "typed_found": float(typed and _gives(plan, hits[0])),
        "unknown": len(unknown) / len(plan.words) if plan.words else 0.0,
    }


def answered_probability(plan: Plan, hits: list[NodeWithScore], library: Library) -> float:
    unknown = library.retrieval.unknown_words(plan.words)
    return decision_model("question").probability(question_signals(plan, hits, library.actors.names(), unknown))


def unanswered_reason(plan: Plan, hits: list[NodeWithScore], library: Library) -> str | None:
    """Why the retrieved passages cannot answer the planned question, or None when they can."""
    if not hits:
        return "No indexed passage is related to it."
    if not plan.words:
        return "It has no word to look for in the articles (questions are matched in English)."
    if answered_probability(plan, hits, library) >= settings.ANSWERED_AT:
        return None
    return _weakest(plan, hits, library)


def _weakest(plan: Plan, hits: list[NodeWithScore], library: Library) -> str:
    """The reason an abstention gives: words of the question no article holds, a name asked about that the
    best passages lack, then an answer type they do not give, then that they are about the question without
    answering it."""
    actors = library.actors.names()
    unknown = library.retrieval.unknown_words(plan.words)
    if unknown:
        return f"The articles never mention: {', '.join(_missing_words(plan.question, unknown, set()))}."
    top = hits[:CITED]
    everywhere = set().union(*_present(plan, hits[:CONSIDERED], actors))
    wanted = set(plan.names)
    if matched(wanted, everywhere) != wanted:
        return f"No passage found about: {', '.join(_missing_words(plan.question, wanted, everywhere))}."
    if plan.speaker and matched(content_terms(plan.speaker), everywhere) != content_terms(plan.speaker):
        return f"No passage reports what {plan.speaker} said."
    if plan.expects is not None and not any(_gives(plan, hit) for hit in top):
        return f"No passage that answers it gives {TYPE_WORDS[plan.expects]}."
    return "The closest passages are about it but do not answer it."


def unworded_reason(plan: Plan, hits: list[NodeWithScore], actors: ActorNames, share: float) -> str | None:
    """For questions across outlets: whether the outlets' coverage holds something ("Which outlets call the
    site Dunmore?"): a passage found, every name asked about in one, and this share of the question's words
    in the passages."""
    if not hits:
        return "No indexed passage is related to it."
    if not plan.words:
        return "It has no word to look for in the articles (questions are matched in English)."
    everywhere = set().union(*_present(plan, hits, actors))
    wanted = set(plan.names)
    if matched(wanted, everywhere) != wanted:
        return f"No passage found about: {', '.join(_missing_words(plan.question, wanted, everywhere))}."
    if recall(set(plan.words), everywhere) < share:
        missing = _missing_words(plan.question, set(plan.words), everywhere)
        return f"The closest passages do not mention: {', '.join(missing)}."
    return None


def _gives(plan: Plan, hit: NodeWithScore) -> bool:
    """Whether the passage holds an answer of the type the question asks for ("When …?": a date)."""
    text = hit.node.get_content()
    return answer_phrase(plan, text, 0, len(text)) is not None
