"""The answer itself, as the article writes it: the date, the number with what it counts, the place, the
duration or the name a when / how-many / where / how-long / who question asks for, found in a cited sentence.

Entities come from spaCy's named-entity recogniser (a trained model); a number takes the noun it counts
("5,000 residents", "an 11-nation bloc") from the parse. Among several of the wanted type, one that is not
already in the question and that counts what the question asks about ("How many residents …") comes first.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.attribution.cues import CUE_VERBS, OUTLET
from rag.attribution.extract import lemma, nlp
from rag.attribution.spans import Span
from rag.index.terms import content_terms, matched
from rag.question.plan import REPORTING_VERBS, Expects, Plan

if TYPE_CHECKING:
    from spacy.tokens import Doc
    from spacy.tokens import Span as SpacySpan

# A question about the reporting itself ("When did Peskov say …?", "When did he make his remarks?", "Who told the
# Post …?") may be answered by it.
REPORTING_NOUNS = r"(?:remarks?|comments?|statements?|warnings?|claims?|announcements?)"
ASKS_ABOUT_REPORTING = re.compile(r"\b(?:" + REPORTING_VERBS + "|" + REPORTING_NOUNS + r")\b", re.IGNORECASE)

ENTITY_LABELS: dict[Expects, tuple[str, ...]] = {
    "time": ("DATE", "TIME"),
    "number": ("CARDINAL", "QUANTITY", "MONEY", "PERCENT"),
    "amount": ("MONEY", "QUANTITY", "PERCENT"),
    "place": ("GPE", "LOC", "FAC"),
    "duration": ("DATE", "TIME", "QUANTITY"),
    "name": ("PERSON", "ORG", "NORP"),
}
# "How long …?" asks for a stretch of time ("about two hours"), not any date or measure the recogniser tags
# alongside ("the weekend", "21-foot"), unless it asks how long something is ("How long is the bridge?").
TIME_UNITS = re.compile(
    r"\b(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|century|centuries)\b", re.IGNORECASE
)
ASKS_LENGTH = re.compile(r"\bhow long (?:is|was|are|were)\b", re.IGNORECASE)
# A stretch of time the recogniser can miss, at the start of a sentence above all ("An hour into its descent, …").
STRETCH = re.compile(
    r"\b(?:(?:about|around|nearly|almost|some|over|more than|less than)\s+)?"
    r"(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|a few|\d+(?:\.\d+)?)"
    r"(?:[- ]and[- ]a[- ]half)?[- ]" + TIME_UNITS.pattern[2:],
    re.IGNORECASE,
)
# How a number attaches to the noun it counts ("5,000 residents", "an 11-nation bloc").
COUNTING = ("nummod", "quantmod", "compound")


def _frames_the_report(entity: SpacySpan) -> bool:
    """An entity that tells when, where or through whom something was said ("said in December", "The Times,
    citing …"), not an answer about what was said."""
    head = entity.root.head
    if head.pos_ == "ADP":  # "said in December"
        head = head.head
    return lemma(head).lower() in CUE_VERBS or bool(OUTLET.fullmatch(entity.text.removeprefix("The ")))


@lru_cache(maxsize=2048)
def _parsed(sentence: str) -> Doc:
    """A cited sentence's parse: an outlet answer reads each cited sentence twice (does it give a value, and
    which), and a story's sentences are cited again for each question about it."""
    return nlp()(sentence)


def answer_phrase(plan: Plan, text: str, start: int, end: int) -> Span | None:
    """The span of `text[start:end]` (a cited sentence) that answers the planned question, or None."""
    if plan.expects is None:
        return None
    doc = _parsed(text[start:end])
    asked = plan.question.lower()
    wanted = plan.words - plan.names
    about_reporting = bool(ASKS_ABOUT_REPORTING.search(plan.question))
    found = []
    for entity in doc.ents:
        if entity.label_ not in ENTITY_LABELS[plan.expects] or entity.text.lower() in asked:
            continue
        if not about_reporting and _frames_the_report(entity):
            continue
        if plan.expects == "duration" and not (
            TIME_UNITS.search(entity.text) or (entity.label_ == "QUANTITY" and ASKS_LENGTH.search(plan.question))
        ):
            continue
        first, last = entity.start, entity.end
        if plan.expects in ("number", "amount"):
            head = entity.root.head
            if head.i >= last and head.pos_ in ("NOUN", "PROPN") and entity.root.dep_ in COUNTING:
                last = head.i + 1
        counted = content_terms(doc[first:last].text)
        found.append((not matched(wanted, counted), doc[first].idx, doc[last - 1].idx + len(doc[last - 1])))
    if plan.expects == "duration":
        for match in STRETCH.finditer(doc.text):
            if match[0].lower() not in asked and all(match.end() <= a or b <= match.start() for _, a, b in found):
                found.append((True, match.start(), match.end()))
    if not found:
        return None
    _, first_char, end_char = min(found, key=lambda item: (item[0], item[1]))
    return Span.of(text, start + first_char, start + end_char)


# Words either side of an answer phrase that may say what it is a value of.
CONTEXT_WORDS = 8


def tells_what_is_asked(plan: Plan, text: str, phrase: Span, start: int, end: int) -> bool:
    """Whether the words around an answer phrase in its sentence (`text[start:end]`) hold one the question asks
    about: “about two hours after diving” answers "How long had it been diving?"; “about 40 hours” of oxygen in
    the same sentence does not."""
    around = text[start : phrase.start].split()[-CONTEXT_WORDS:] + text[phrase.end : end].split()[:CONTEXT_WORDS]
    return bool(matched(plan.words - plan.names, content_terms(" ".join(around))))
