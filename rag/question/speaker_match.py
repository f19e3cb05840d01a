"""Matching an asked speaker ("Peskov") against the speaker phrases the attribution layer found."""

from __future__ import annotations

from rag.attribution.spans import Attribution
from rag.index.terms import content_terms, matched


def speaks_for(asked: str, attribution: Attribution) -> bool:
    """True when every content word of the asked speaker appears in the attribution's speaker phrase."""
    speaker = attribution.speaker
    return speaker is not None and _names(content_terms(asked), speaker.text)


def phrases_naming(asked: str, phrases: list[str]) -> frozenset[str]:
    """The speaker phrases that have each content word of `asked` (one check per phrase, not per cue)."""
    wanted = content_terms(asked)
    return frozenset(phrase for phrase in phrases if _names(wanted, phrase))


def _names(wanted: set[str], phrase: str) -> bool:
    return bool(wanted) and matched(wanted, content_terms(phrase)) == wanted
