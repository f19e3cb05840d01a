"""Whether retrieved passages answer a question at all, and if not, what is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.actors.names import ActorNames
from rag.lexical import QUESTION_WORDS, content_terms, matched, name_terms, recall, tokens
from rag.understand import speaker_asked

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

# Below this best bi-encoder cosine, or without a majority of the question's content words, the corpus is silent.
MIN_COSINE = 0.20
MIN_TERM_RECALL = 0.51  # a strict majority of the question's content words


def _missing_words(question: str, wanted: set[str], present: set[str]) -> list[str]:
    missing = wanted - matched(wanted, present)
    words = [w for w in tokens(question) if w.lower() not in QUESTION_WORDS]
    return list(dict.fromkeys(w for w in words if content_terms(w) & missing))


def unanswered_reason(question: str, hits: list[NodeWithScore], actors: ActorNames) -> str | None:
    """Why the retrieved passages cannot answer the question, or None when they can.

    The bi-encoder alone cannot tell "What did Olaf Scholz say?" (cosine 0.57 to a passage about
    another speaker) from a real paraphrase, so three lexical tests come first: every name in the
    question occurs in a candidate (or names an actor a candidate names otherwise: "Germany" for
    "Berlin"); a speaker asked about ("What did X say?") is named in one candidate; at least half of
    the question's content words occur in the candidates.
    """
    if not hits:
        return "No indexed passage is related to it."
    if not content_terms(question):
        return "It has no word to look for in the articles (questions are matched in English)."
    passages = [content_terms(hit.node.get_content()) for hit in hits]
    named_there = actors.actors_in(" ".join(hit.node.get_content() for hit in hits))
    present = set().union(*passages) | content_terms(
        " ".join(name for actor, names in actors.actors_in(question).items() if actor in named_there for name in names)
    )
    names = name_terms(question)
    if matched(names, present) != names:
        return f"No passage found about: {', '.join(_missing_words(question, names, present))}."
    speaker = speaker_asked(question)
    speaker_terms = content_terms(speaker) if speaker else set()
    if speaker_terms and not any(matched(speaker_terms, terms) == speaker_terms for terms in passages):
        return f"No passage reports what {speaker} said."
    terms = content_terms(question)
    if recall(terms, present) < MIN_TERM_RECALL:
        return f"The closest passages do not mention: {', '.join(_missing_words(question, terms, present))}."
    if max(hit.node.metadata.get("cosine", 1.0) for hit in hits) < MIN_COSINE:
        return "No passage is close enough in meaning."
    return None
