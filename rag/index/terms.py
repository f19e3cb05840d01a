"""Word-level signals shared by reranking and abstention: stemmed content terms and proper names."""

from __future__ import annotations

import re
from functools import cache

import Stemmer

TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]|\d[\d,.]*\d|\d")
# Words that shape a question or a reporting clause but carry no topic of their own.
QUESTION_WORDS = frozenset(
    """
    a an the and or but if of to in on at by for with from about as into over than then so such this that
    these those there here it its is are was were be been being am do does did doing done have has had
    having will would shall should can could may might must not no nor yes what which who whom whose when
    where why how whether i me my we our you your he him his she her they them their one ones any some
    all each every both either neither much many more most other another same own also just only very
    too even still yet ever again article articles text report reports reported reporting say says said
    saying tell tells told state states stated mention mentions mentioned according accord source sources
    claim claims claimed think thinks thought view views position positions stance opinion does did
    anyone someone somebody anybody something anything give gives given describe described explain
    differ differs difference differences compare compared comparison contrast reason reasons side sides
    outlet outlets newspaper newspapers coverage agree agrees disagree disagrees call calls called
    attribute attributes attributed credit credits credited
    """.split()
)


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokens(text: str) -> list[str]:
    return [t.replace("’", "'").removesuffix("'s") for t in TOKEN.findall(text)]


def content_terms(text: str) -> set[str]:
    """Stemmed, lower-cased words that carry the topic of a text."""
    words = [t.lower() for t in tokens(text)]
    return set(_stemmer().stemWords([w for w in words if w not in QUESTION_WORDS and len(w) > 1]))


def name_terms(question: str) -> set[str]:
    """Stemmed capitalised words of a question (names, places, outlets), the first word excepted."""
    words = tokens(question)
    names = [w.lower() for i, w in enumerate(words) if i > 0 and w[:1].isupper() and w.lower() not in QUESTION_WORDS]
    return set(_stemmer().stemWords(names))


def _same_root(a: str, b: str) -> bool:
    """Stems of one word family ("russia"/"russian", "europ"/"european"), which Snowball keeps apart."""
    if a == b:
        return True
    shared = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return shared >= max(4, min(len(a), len(b)) - 1)


def matched(wanted: set[str], present: set[str]) -> set[str]:
    return {w for w in wanted if w in present or any(_same_root(w, p) for p in present)}


def recall(wanted: set[str], present: set[str]) -> float:
    return len(matched(wanted, present)) / len(wanted) if wanted else 1.0
