"""Matching an asked speaker ("Peskov") against the speaker phrases the attribution layer found."""

from __future__ import annotations

from rag.attribution.spans import Attribution
from rag.lexical import content_terms, matched


def speaks_for(asked: str, attribution: Attribution) -> bool:
    """True when every content word of the asked speaker appears in the attribution's speaker phrase."""
    speaker = attribution.speaker
    return speaker is not None and _names(content_terms(asked), speaker.text)


def units_spoken_by(asked: str, by_speaker: dict[str, set[tuple[str, int]]]) -> set[tuple[str, int]]:
    """The units of every speaker phrase that has each content word of `asked` (one check per phrase)."""
    wanted = content_terms(asked)
    return {unit for phrase, units in by_speaker.items() if _names(wanted, phrase) for unit in units}


def _names(wanted: set[str], phrase: str) -> bool:
    return bool(wanted) and matched(wanted, content_terms(phrase)) == wanted
