"""Question -> plan: read a question once into what it asks and whom it names.

Every later step reads the plan and never the question's wording again: which component answers it
(`kind`), the speaker and claim of speaker questions, the actors it names (resolved through the
corpus's actor names, so "Germany" also finds "Berlin"), the stances it asks about, and the type of
answer it expects ("When …?" wants a time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from rag.actors.names import ActorNames
from rag.attribution.extract import nlp
from rag.attribution.lexicon import CUE_VERBS, XCOMP_CUES
from rag.lexical import QUESTION_WORDS, content_terms, name_terms

Kind = Literal["fact", "who_said", "did_say", "sources", "actors"]
Expects = Literal["time", "number", "place"]
DEFAULT_TOP_K = 5

REPORTING_VERBS = (
    r"(?:say|said|tell|told|think|warn|warned|claim|argue|believe|mean|propose|admit|state|announce|reply|respond)"
)
SPEAKER_QUESTION = re.compile(
    r"^(?:what|how|why)\s+(?:did|does|do|has|have|had)\s+"
    r"(?P<speaker>(?:(?!\b(?:what|which|who|whom|that|with|about|and|or)\b)[^?,;])+?)\s+" + REPORTING_VERBS + r"\b",
    re.IGNORECASE,
)
SPEAKER_CHECK = re.compile(
    r"^(?:did|does|do|has|have|had|was|is)\s+(?P<speaker>(?:(?!\b(?:what|which|who|that)\b)[^?,;])+?)\s+"
    + REPORTING_VERBS
    + r"\b(?:\s+that)?(?P<claim>.+)$",
    re.IGNORECASE,
)
SOURCES_QUESTION = re.compile(
    r"\b(?:which|what|whose)\s+(?:sources|people|officials|outlets|voices)\b"
    r"|\bwho\s+(?:is|are|was|were|gets?)\s+(?:quoted|cited)\b"
    r"|\bsources?\b.*\b(?:rel(?:y|ies)|cite[sd]?|quote[sd]?|use[sd]?)\b",
    re.IGNORECASE,
)
COMPARISON = re.compile(
    r"\b(?:compare|comparison|differ\w*|contrast\w*|versus|vs\.?|side by side|positions?|stances?)\b", re.IGNORECASE
)
STANCE_ASKED = {
    "opposes": re.compile(r"\b(?:oppos\w*|reject\w*|against)\b", re.IGNORECASE),
    "supports": re.compile(r"\b(?:support\w*|back(?:s|ing)?|advocat\w*|favou?r\w*)\b", re.IGNORECASE),
    "concerned": re.compile(r"\b(?:worr\w*|concern\w*|fear\w*)\b", re.IGNORECASE),
}
ACTOR_WORDS = re.compile(r"\b(?:actors?|countries|states|sides?|governments?|who)\b", re.IGNORECASE)
LIGHT_VERBS = frozenset("be do have make get take give go come happen".split())
# Verbs that ask about the article's wording rather than the events ("What verb introduces …", "see it the same way").
TEXT_VERBS = frozenset(
    "see view introduce use call name describe mention quote cite attribute refer include rely".split()
)
EXPECTS: dict[Expects, re.Pattern[str]] = {
    "time": re.compile(r"^(?:when\b|(?:on |in )?(?:what|which) (?:time|day|date|month|year)\b)", re.IGNORECASE),
    "number": re.compile(r"^how (?:many|much)\b", re.IGNORECASE),
    "place": re.compile(r"^where\b", re.IGNORECASE),
}


@dataclass(frozen=True)
class Plan:
    question: str
    kind: Kind
    top_k: int = DEFAULT_TOP_K
    scope: tuple[str, ...] | None = None  # the articles the reader chose, or None for all
    speaker: str | None = None  # "What did X say?", "Did X say …?"
    claim: str | None = None  # what "Did X say …?" puts in X's mouth
    actors: dict[str, list[str]] = field(default_factory=dict)  # actor -> the question's names for it
    stances: tuple[str, ...] = ()  # "Who opposes …?"
    expects: Expects | None = None
    fallback: Kind = "fact"  # the kind to answer as when an actor comparison finds no actors to compare
    words: frozenset[str] = frozenset()  # stemmed content words
    names: frozenset[str] = frozenset()  # stemmed capitalised words: what the answer must be about
    predicate: tuple[str, str] | None = None  # the main verb or adjective as written, and its lemma


def predicate(question: str) -> tuple[str, str] | None:
    """The question's main verb or predicate adjective ("won", "reluctant") with its lemma, unless it
    only shapes the question ("is", "did", "see") or asks for speech ("say", "warn": attribution answers those)."""
    root = next(iter(nlp()(question).sents)).root
    if root.pos_ == "AUX" or root.lemma_.lower() in LIGHT_VERBS:
        root = next((c for c in root.children if c.dep_ == "acomp" and c.pos_ == "ADJ"), root)
    lemma = root.lemma_.lower()
    shapes_question = lemma in LIGHT_VERBS or lemma in TEXT_VERBS or lemma in QUESTION_WORDS
    if root.pos_ not in ("VERB", "ADJ") or shapes_question or lemma in CUE_VERBS or lemma in XCOMP_CUES:
        return None
    return root.text, lemma


def speaker_asked(question: str) -> str | None:
    """The speaker in "What did X say / tell / warn …?" questions, whose words must all be found together."""
    match = SPEAKER_QUESTION.match(question.strip())
    return match["speaker"] if match else None


def _compares_actors(question: str, actors: dict[str, list[str]], stances: tuple[str, ...]) -> bool:
    """ "Compare Berlin and London", "Which countries differ?", "Who opposes the plan?"."""
    compares = bool(COMPARISON.search(question))
    about_actors = bool(ACTOR_WORDS.search(question))
    named = len(actors)
    return (compares and (named >= 2 or (about_actors and not named))) or bool(stances and about_actors and named < 2)


def _kind(question: str, has_names: bool) -> Kind:
    if SOURCES_QUESTION.search(question) and not has_names:
        return "sources"
    if SPEAKER_CHECK.match(question):
        return "did_say"
    if SPEAKER_QUESTION.match(question):
        return "who_said"
    return "fact"


def understand(
    question: str, names: ActorNames, top_k: int = DEFAULT_TOP_K, scope: tuple[str, ...] | None = None
) -> Plan:
    """The plan of a cleaned question (see `answer.check_question`)."""
    actors = names.actors_in(question)
    stances = tuple(stance for stance, pattern in STANCE_ASKED.items() if pattern.search(question))
    specific = _kind(question, bool(name_terms(question)))
    kind: Kind = "actors" if _compares_actors(question, actors, stances) else specific
    check = SPEAKER_CHECK.match(question)
    speaker = check["speaker"] if specific == "did_say" and check else speaker_asked(question)
    return Plan(
        question=question,
        kind=kind,
        top_k=top_k,
        scope=tuple(scope) if scope else None,
        speaker=speaker if specific in ("did_say", "who_said") else None,
        claim=check["claim"].strip(" ?") if specific == "did_say" and check else None,
        actors=actors,
        stances=stances,
        expects=next((e for e, pattern in EXPECTS.items() if pattern.search(question)), None),
        fallback=specific,
        words=frozenset(content_terms(question)),
        names=frozenset(name_terms(question)),
        predicate=predicate(question),
    )
