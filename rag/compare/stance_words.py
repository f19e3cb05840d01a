"""Comparison vocabulary as data: which common nouns make an actor, and which words mark a stance."""

from __future__ import annotations

import re

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
    ),
    "supports": ("advocate", "support", "favour", "favor", "welcome", "endorse", "call for", "in favour", "back the"),
    "conditional": (" if ", "unless", "only if", "provided that", "as long as", "would be necessary", "on condition"),
    "concerned": ("concern", "worry", "worri", "fear", "warn", "risk", "alarm"),
}
POSITIONS = ("supports", "opposes", "concerned", "conditional", "no stated position")
# Words that negate a stance word a few words later ("does not support", "has never backed").
NEGATION = re.compile(r"\b(?:not|n't|never|no longer|neither|nor)\b|n['’]t\b")
NEGATED = {"supports": "opposes", "opposes": "supports"}
