"""Whether retrieved passages answer a question at all, and if not, what is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.actors.names import ActorNames
from rag.attribution.extract import nlp
from rag.attribution.lexicon import CUE_VERBS, XCOMP_CUES
from rag.lexical import QUESTION_WORDS, content_terms, matched, name_terms, recall, tokens
from rag.understand import Expects, speaker_asked

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore
    from spacy.tokens import Token

# Below this best bi-encoder cosine, or without a majority of the question's content words, the corpus is silent.
MIN_COSINE = 0.20
MIN_TERM_RECALL = 0.51  # a strict majority of the question's content words
# Without the question's main verb in any candidate, one must be at least this close in meaning.
PREDICATE_COSINE = 0.5
LIGHT_VERBS = frozenset("be do have make get take give go come happen".split())
# Verbs that ask about the article's wording rather than the events ("What verb introduces …", "see it the same way").
TEXT_VERBS = frozenset(
    "see view introduce use call name describe mention quote cite attribute refer include rely".split()
)
ANSWER_TYPES: dict[Expects, tuple[str, ...]] = {
    "time": ("DATE", "TIME"),
    "number": ("CARDINAL", "QUANTITY", "MONEY", "PERCENT"),
    "place": ("GPE", "LOC", "FAC"),
}
TYPE_WORDS: dict[Expects, str] = {"time": "a date or time", "number": "a number", "place": "a place"}


def _missing_words(question: str, wanted: set[str], present: set[str]) -> list[str]:
    missing = wanted - matched(wanted, present)
    words = [w for w in tokens(question) if w.lower() not in QUESTION_WORDS]
    return list(dict.fromkeys(w for w in words if content_terms(w) & missing))


def _predicate(question: str) -> Token | None:
    """The question's main verb or predicate adjective ("won", "reluctant"), unless it only shapes the
    question ("is", "did") or asks for speech ("say", "warn": the attribution layer answers those)."""
    root = next(iter(nlp()(question).sents)).root
    if root.pos_ == "AUX" or root.lemma_.lower() in LIGHT_VERBS:
        root = next((c for c in root.children if c.dep_ == "acomp" and c.pos_ == "ADJ"), root)
    lemma = root.lemma_.lower()
    shapes_question = lemma in LIGHT_VERBS or lemma in TEXT_VERBS or lemma in QUESTION_WORDS
    if root.pos_ not in ("VERB", "ADJ") or shapes_question or lemma in CUE_VERBS or lemma in XCOMP_CUES:
        return None
    return root


def _typed_reason(question: str, hits: list[NodeWithScore], present: list[set[str]], expects: Expects) -> str | None:
    """A when / where / how-many question stands when one passage holds everything it names, an answer
    of the wanted type, and one of its other words (a majority of them when it names nothing)."""
    names = name_terms(question)
    rest = content_terms(question) - names
    docs = nlp().pipe(hit.node.get_content() for hit in hits)
    for terms, doc in zip(present, docs, strict=True):
        holds = matched(names, terms) == names
        about = not rest or (recall(rest, terms) >= MIN_TERM_RECALL if not names else bool(matched(rest, terms)))
        if holds and about and any(entity.label_ in ANSWER_TYPES[expects] for entity in doc.ents):
            return None
    focus = ", ".join(_missing_words(question, names, set())) or "it"
    return f"No passage about {focus} gives {TYPE_WORDS[expects]}."


def unanswered_reason(
    question: str, hits: list[NodeWithScore], actors: ActorNames, expects: Expects | None = None
) -> str | None:
    """Why the retrieved passages cannot answer the question, or None when they can.

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
    if not content_terms(question):
        return "It has no word to look for in the articles (questions are matched in English)."
    present = [content_terms(f"{h.node.get_content()} {actors.named_in(question, h.node.get_content())}") for h in hits]
    everywhere = set().union(*present)
    names = name_terms(question)
    if matched(names, everywhere) != names:
        return f"No passage found about: {', '.join(_missing_words(question, names, everywhere))}."
    speaker = speaker_asked(question)
    speaker_terms = content_terms(speaker) if speaker else set()
    passages = [content_terms(hit.node.get_content()) for hit in hits]
    if speaker_terms and not any(matched(speaker_terms, terms) == speaker_terms for terms in passages):
        return f"No passage reports what {speaker} said."
    if expects is not None:
        return _typed_reason(question, hits, present, expects)
    terms = content_terms(question)
    if recall(terms, everywhere) < MIN_TERM_RECALL:
        return f"The closest passages do not mention: {', '.join(_missing_words(question, terms, everywhere))}."
    best = max(hit.node.metadata.get("cosine", 1.0) for hit in hits)
    if best < MIN_COSINE:
        return "No passage is close enough in meaning."
    predicate = _predicate(question)
    if predicate is not None and best < PREDICATE_COSINE:
        lemmas = {token.lemma_.lower() for doc in nlp().pipe(h.node.get_content() for h in hits) for token in doc}
        if predicate.lemma_.lower() not in lemmas:
            return f"The closest passages do not mention: {predicate.text}."
    return None
