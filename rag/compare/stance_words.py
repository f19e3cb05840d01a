"""Comparison vocabulary as data: which common nouns make an actor, and which words mark a stance."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Common nouns that, with a name in front ("the Nordic nations", "Russian officials"), make an actor.
ACTOR_HEADS = frozenset(
    """
    nations states countries government governments officials leaders authorities ministry ministries
    president minister diplomats diplomat allies partners capitals parliament military army
    """.split()
)


# Stance words (lower-case word starts or phrases), tried family by family in this order; the first hit decides.
STANCE_MARKERS: dict[str, tuple[str, ...]] = {
    "opposes": (
        "oppose",
        "reject",
        "against",
        "refuse",
        "veto",
        "condemn",
        "should not",
        "must not",
        "not want",
        "threat",
        "denounce",
        "dismiss",
        "downplay",
    ),
    "supports": ("advocate", "support", "favour", "favor", "welcome", "endorse", "call for", "in favour", "back the"),
    "conditional": (" if ", "unless", "only if", "provided that", "as long as", "would be necessary", "on condition"),
    "concerned": ("concern", "worry", "worri", "fear", "warn", "risk", "alarm"),
}
POSITIONS = ("supports", "opposes", "concerned", "conditional", "no stated position")
# Words that negate a stance word a few words later ("does not support", "has never backed").
NEGATION = re.compile(r"\b(?:not|n't|never|no longer|neither|nor)\b|n['’]t\b")
NEGATED = {"supports": "opposes", "opposes": "supports"}


def _marker(marker: str) -> str:
    """A marker at the start of a word; one written with spaces around (" if ") is a whole word."""
    return r"(?<!\w)" + re.escape(marker.strip()) + (r"(?!\w)" if marker.endswith(" ") else "")


# Each family's markers as one pattern (" if " is not in "different", "oppose" is in "opposed").
MARKER_PATTERNS = {
    position: re.compile("|".join(_marker(m) for m in markers), re.IGNORECASE)
    for position, markers in STANCE_MARKERS.items()
}


def stance_hits(text: str) -> Iterator[tuple[str, int, int]]:
    """(position, start, end) of each stance word or phrase, family by family in `STANCE_MARKERS` order and in
    text order within a family; `end` runs to the end of the word ("concern" -> "concerned")."""
    for position, pattern in MARKER_PATTERNS.items():
        for match in pattern.finditer(text):
            end = match.end() + len(re.match(r"[\w’'-]*", text[match.end() :])[0])
            yield position, match.start(), end
