"""Question -> plan: read a question once into what it asks and whom it names.

Every later step reads the plan and never the question's wording again: which component answers it
(`kind`), the outlets and outlet groups it names (they become its scope), the speaker and claim of
speaker questions, the actors it names (resolved through the corpus's actor names, so "Germany" also
finds "Berlin"), the stances it asks about, the type of answer it expects ("When …?" wants a time), its
words and its main verb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from rag import settings
from rag.actors.names import ActorNames
from rag.index.terms import content_terms, name_terms
from rag.store.catalog import Outlets

if TYPE_CHECKING:
    pass

Kind = Literal["fact", "who_said", "did_say", "sources", "actors", "outlets"]
Expects = Literal["time", "number", "amount", "place", "duration", "name"]

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
    r"|\bsources?\b.*\b(?:rel(?:y|ies)|cite[sd]?|quote[sd]?|use[sd]?)\b"
    r"|\b(?:credit(?:s|ed)?|cite[sd]?)\b.*\bsources?\b"
    r"|\bwhose\s+(?:reporting|reports?|accounts?)\b",
    re.IGNORECASE,
)
# Whom a report credits for what it says ("Whom does each credit?", "Which news agency does A cite?", "Which
# outlet builds its story on quotes from …?").
CREDITS_ASKED = re.compile(
    r"\b(?:credit(?:s|ed|ing)?|attribut(?:e|es|ed|ing)|cit(?:e|es|ed|ing)|sourc(?:e|es|ed|ing))\b"
    r"|\bwhose\s+(?:reporting|reports?|accounts?|information)\b"
    r"|\b(?:based|rel(?:y|ies|ying)|draws?|builds?)\s+(?:its\s+\w+\s+)?on\b"
    r"|\bnews\s+(?:agenc(?:y|ies)|organi[sz]ations?)\b",
    re.IGNORECASE,
)
COMPARISON = re.compile(
    r"\b(?:compare|comparison|differ\w*|contrast\w*|versus|vs\.?|side by side|positions?|stances?)\b", re.IGNORECASE
)
STANCE_ASKED = {
    "opposes": re.compile(r"\b(?:oppos\w*|reject\w*|against|push\w* back|disput\w*|contradict\w*)\b", re.I),
    "supports": re.compile(
        r"\b(?:support\w*|(?<!push )(?<!pushed )(?<!pushes )(?<!pushing )back(?:s|ing)?|advocat\w*|favou?r\w*)\b",
        re.IGNORECASE,
    ),
    "concerned": re.compile(r"\b(?:worr\w*|concern\w*|fear\w*)\b", re.IGNORECASE),
}
# Questions about how several outlets cover a story ("Do the outlets agree …?", "Which reports say …?").
OUTLETS_ASKED = re.compile(
    r"\b(?:the|all|which|both|other|these|most|how many)\s+"
    r"(?:outlets|reports|articles|papers|newspapers|accounts|media)\b"
    r"|\b(?:which|what|each)\s+(?:outlet|newspaper|news site|broadcaster)\b"
    r"|\bcoverage\b|\baccording to the (?:articles|reports|outlets)\b",
    re.IGNORECASE,
)
# After a word, what makes it point at a report rather than a topic ("Valdoria's report", "the Wire article").
REPORT_AHEAD = r"(?=\W*(?:['’]s\s+)?(?:report|article|story|coverage|piece|account|version)\b)"
ACTOR_WORDS = re.compile(r"\b(?:actors?|countries|states|sides?|governments?|who)\b", re.IGNORECASE)
# The kind of answer a question asks for, by its question word at the start of a clause ("Per CNN, when …").
# Where a question's wh-word can stand: at its start, after a clause break, or after "agree on" ("Do the outlets
# agree on how many …?" expects a number as much as "How many …?").
CLAUSE_START = r"(?:^|[,;:]\s+|\b(?:agree|differ|disagree)\s+(?:on|about|over)\s+)"
EXPECTS: dict[Expects, re.Pattern[str]] = {
    "time": re.compile(
        CLAUSE_START
        + r"(?:(?:by |since |until )?when\b|(?:on |in |at |by )?(?:what|which) (?:time|day|date|month|year)\b)",
        re.IGNORECASE,
    ),
    "number": re.compile(CLAUSE_START + r"how many\b", re.IGNORECASE),
    "amount": re.compile(CLAUSE_START + r"how much\b", re.IGNORECASE),
    "place": re.compile(CLAUSE_START + r"(?:where\b|in (?:what|which) (?:city|country|town|place|state)\b)", re.I),
    "duration": re.compile(CLAUSE_START + r"(?:for )?how long\b", re.IGNORECASE),
    "name": re.compile(CLAUSE_START + r"who(?:m)?\b(?!.*\b(?:says?|said|tells?|told|warns?|warned)\b)", re.IGNORECASE),
}


@dataclass(frozen=True)
class Plan:
    question: str
    kind: Kind
    top_k: int = settings.DEFAULT_TOP_K
    scope: tuple[str, ...] | None = None  # the articles the reader chose, or None for all
    speaker: str | None = None  # "What did X say?", "Did X say …?"
    claim: str | None = None  # what "Did X say …?" puts in X's mouth
    actors: dict[str, list[str]] = field(default_factory=dict)  # actor -> the question's names for it
    stances: tuple[str, ...] = ()  # "Who opposes …?"
    expects: Expects | None = None
    fallback: Kind = "fact"  # the kind to answer as when an actor comparison finds no actors to compare
    words: frozenset[str] = frozenset()  # stemmed content words
    names: frozenset[str] = frozenset()  # stemmed capitalised words: what the answer must be about
    outlets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # outlet named -> its article ids
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # outlet group named -> its outlets
    topic: str | None = None  # the question without the outlets it names (they become the scope)
    credits: bool = False  # it asks whom a report credits ("Which news agency does each cite?")

    @property
    def searched(self) -> str:
        """What retrieval looks for: the question, less any outlet it names."""
        return self.topic or self.question


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


def outlet_mentions(question: str, outlets: Outlets, names: ActorNames) -> list[tuple[str, int, int]]:
    """Where a question names an outlet: (outlet, start, end), in reading order, never overlapping.

    An outlet is named by its name (with or without "The", in any case), by an article id, or by a
    capitalised word of its name no other outlet uses ("the Courier's report"); a word that also names an
    actor ("Valdoria") counts only before "report", "article" and the like. Ids are looked for first, then
    names, longest first.
    """
    candidates: list[tuple[str, re.Pattern[str], bool]] = [
        (outlets.outlet_of[token], re.compile(r"\b(?:the\s+)?" + re.escape(token) + r"\b(?:['’]s)?", re.I), False)
        for token in dict.fromkeys(re.findall(r"[\w][\w.-]*\w", question))
        if token in outlets.outlet_of
    ]
    for outlet in sorted(outlets.articles, key=len, reverse=True):
        full = re.escape(re.sub(r"^the\s+", "", outlet, flags=re.IGNORECASE))
        own = [re.escape(w) + (REPORT_AHEAD if names.actors(w) else "") for w in outlets.own_words.get(outlet, [])]
        candidates.append((outlet, re.compile(r"\b(?:the\s+)?" + full + r"(?!\w)(?:['’]s)?", re.IGNORECASE), False))
        if own:
            candidates.append((outlet, re.compile(r"\b(?:the\s+)?(?:" + "|".join(own) + r")\b(?:['’]s)?"), True))
    mentions: list[tuple[str, int, int]] = []
    for outlet, pattern, own_word in candidates:
        for match in pattern.finditer(question):
            if own_word and _inside_another_name(question, match.start(), match.end()):
                continue
            if all(match.end() <= start or end <= match.start() for _, start, end in mentions):
                mentions.append((outlet, match.start(), match.end()))
    return sorted(mentions, key=lambda mention: mention[1])


def _inside_another_name(text: str, start: int, end: int) -> bool:
    """A word between capitalised words belongs to a longer name ("York" in "the New York Times")."""
    before = re.search(r"([A-Z][\w.&-]*)\s+$", text[:start])
    after = re.match(r"\s+[A-Z]", text[end:])
    return bool(after or (before and before.start() > 0 and before[1] != "The"))


def outlets_named(question: str, outlets: Outlets, names: ActorNames) -> tuple[dict[str, tuple[str, ...]], str]:
    """The outlets a question names (outlet -> article ids), and the question with those mentions blanked."""
    mentions = outlet_mentions(question, outlets, names)
    rest = list(question)
    for _, start, end in mentions:
        rest[start:end] = " " * (end - start)
    found = {outlet: outlets.articles[outlet] for outlet, _, _ in mentions}
    return found, " ".join("".join(rest).split())


def groups_named(question: str, groups: dict[str, tuple[str, ...]]) -> tuple[dict[str, tuple[str, ...]], str]:
    """The outlet groups a question names ("the wire services", "state media") -> their outlets, and the
    question with those mentions blanked."""
    found: dict[str, tuple[str, ...]] = {}
    rest = question
    for group, members in groups.items():
        plural = re.sub(r"y$", "ies", group) if group.endswith("y") else group + "s"
        pattern = re.compile(r"\b(?:the\s+)?(?:" + re.escape(plural) + "|" + re.escape(group) + r")\b(?:['’]s?)?", re.I)
        if pattern.search(rest):
            found[group] = members
            rest = pattern.sub(" ", rest)
    return found, " ".join(rest.split())


def understand(
    question: str,
    names: ActorNames,
    top_k: int = settings.DEFAULT_TOP_K,
    scope: tuple[str, ...] | None = None,
    outlets: Outlets | None = None,
) -> Plan:
    """The plan of a cleaned question (see `answer.check_question`); `outlets` are the indexed outlets and
    their groups, so a question can name them."""
    outlets = outlets or Outlets()
    named_groups, question_left = groups_named(question, outlets.groups)
    named_outlets, topic = outlets_named(question_left, outlets, names)
    for members in named_groups.values():
        named_outlets.update({outlet: outlets.articles[outlet] for outlet in members if outlet in outlets.articles})
    if named_outlets:
        chosen = {a for ids in named_outlets.values() for a in ids}
        scope = tuple(sorted(chosen & set(scope))) if scope else tuple(sorted(chosen))
    actors = names.actors_in(topic)
    stances = tuple(stance for stance, pattern in STANCE_ASKED.items() if pattern.search(question))
    names_asked = frozenset(name_terms(topic))
    specific = _kind(topic, bool(names_asked))
    kind: Kind = "actors" if _compares_actors(question, actors, stances) else specific
    if len(named_outlets) >= 2 or OUTLETS_ASKED.search(question):
        kind = "outlets"
    credits = bool(CREDITS_ASKED.search(question))  # "Whom does each credit?" asks for sources, not a name
    check = SPEAKER_CHECK.match(topic)
    speaker = check["speaker"] if specific == "did_say" and check else speaker_asked(topic)
    return Plan(
        question=question,
        kind=kind,
        top_k=top_k,
        scope=tuple(scope) if scope else None,
        speaker=speaker if specific in ("did_say", "who_said") else None,
        claim=check["claim"].strip(" ?") if specific == "did_say" and check else None,
        actors=actors,
        stances=stances,
        expects=None if credits else next((e for e, pattern in EXPECTS.items() if pattern.search(question)), None),
        fallback=specific,
        words=frozenset(content_terms(CREDITS_ASKED.sub(" ", topic))),  # "builds its story on" asks no topic
        names=names_asked,
        outlets=named_outlets,
        groups=named_groups,
        topic=topic if named_outlets else None,
        credits=credits,
    )
