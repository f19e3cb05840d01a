"""Words: the one tokeniser of BM25, reranking and abstention, and the signals built on it (stemmed content
terms, proper names)."""

from __future__ import annotations

import re
from functools import cache

import Stemmer

# Latin letters, accented ones included ("Tomás"), with inner apostrophes ("Russia's"); hyphens split words
# ("water-sharing" is "water" and "sharing"); numbers with their separators ("1,000").
LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
TOKEN = re.compile(rf"[{LETTERS}]+(?:['’][{LETTERS}]+)*|\d[\d,.]*\d|\d")
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
    attribute attributes attributed credit credits credited story stories piece quote quotes quoted quoting
    """.split()
)


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokens(text: str) -> list[str]:
    """Words as written: letters (with inner apostrophes and hyphens, less a possessive 's) or numbers."""
    return [t.replace("’", "'").removesuffix("'s") for t in TOKEN.findall(text)]


def words(text: str) -> list[str]:
    """Lower-cased tokens of two characters or more: what BM25 indexes and the lexical checks compare."""
    return [t.lower() for t in tokens(text) if len(t) > 1]


def content_terms(text: str) -> set[str]:
    """Stemmed, lower-cased words that carry the topic of a text."""
    return set(_stemmer().stemWords([w for w in words(text) if w not in QUESTION_WORDS]))


def name_terms(question: str) -> set[str]:
    """Stemmed capitalised words of a question (names, places, outlets), the first word excepted; single
    letters are not names ("$20M", "U.S.") and no passage's words would hold them."""
    found = tokens(question)
    names = [
        w.lower()
        for i, w in enumerate(found)
        if i > 0 and len(w) > 1 and w[:1].isupper() and w.lower() not in QUESTION_WORDS
    ]
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
