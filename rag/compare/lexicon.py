"""Comparison vocabulary as data: which names stand for one actor, and which words mark a stance."""

from __future__ import annotations

import re
from functools import cache

# Canonical actor -> names, demonyms, capitals and seats of power that news text uses for it.
ACTOR_ALIASES: dict[str, tuple[str, ...]] = {
    "Russia": ("Russia", "Russian", "Russians", "Moscow", "Kremlin", "Duma", "Russian Federation"),
    "Ukraine": ("Ukraine", "Ukrainian", "Ukrainians", "Kyiv", "Kiev"),
    "Germany": ("Germany", "German", "Germans", "Berlin", "Bundestag"),
    "United Kingdom": ("UK", "U.K.", "Britain", "British", "London", "United Kingdom", "Downing Street"),
    "United States": (
        "US",
        "U.S.",
        "USA",
        "United States",
        "American",
        "Americans",
        "Washington",
        "White House",
        "Pentagon",
    ),
    "France": ("France", "French", "Paris", "Elysee", "Élysée"),
    "European Union": ("EU", "European Union", "Brussels", "European Commission"),
    "NATO": ("NATO", "North Atlantic Treaty Organization", "alliance"),
    "Poland": ("Poland", "Polish", "Warsaw"),
    "Baltic states": ("Baltic", "Baltics", "Estonia", "Latvia", "Lithuania"),
    "Nordic countries": ("Nordic", "Nordics", "Sweden", "Norway", "Finland", "Denmark"),
    "China": ("China", "Chinese", "Beijing"),
    "India": ("India", "Indian", "New Delhi"),
    "United Nations": ("UN", "U.N.", "United Nations"),
    "Iran": ("Iran", "Iranian", "Tehran"),
    "Israel": ("Israel", "Israeli", "Jerusalem"),
    "Turkey": ("Turkey", "Türkiye", "Turkish", "Ankara"),
    "Europe": ("Europe", "European", "Europeans"),
    "the West": ("West", "Western"),
}

# Common nouns that, with a name in front ("the Nordic nations", "Russian officials"), make an actor.
ACTOR_HEADS = frozenset(
    """
    nations states countries government governments officials leaders authorities ministry ministries
    president minister diplomats diplomat allies partners capitals parliament military army
    """.split()
)


@cache
def alias_pattern(actor: str) -> re.Pattern[str]:
    """Any name of the actor as a whole word ("non-Western" is not "Western"); group `poss` marks "’s"."""
    names = "|".join(map(re.escape, ACTOR_ALIASES[actor]))
    return re.compile(r"(?<![\w.-])(?:" + names + r")(?P<poss>['’]s)?(?![\w])")


def actors_mentioned(text: str) -> set[str]:
    """The actors any of whose names occur in a text."""
    return {actor for actor in ACTOR_ALIASES if alias_pattern(actor).search(text)}


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
