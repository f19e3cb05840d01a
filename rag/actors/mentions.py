"""The actors one article names, grouped within the article at ingest.

spaCy's entities (places, groups, organisations, people) are the names. Within an article a surname
stands for the full name it shortens ("Kell" for "Marta Kell"), an acronym for the organisation whose
initials it spells ("NATO"), and a place or demonym for its country ("Ottawa", "Chilean"), so one actor
keeps one name across the article and, because the grouped names are stored, across the corpus.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.actors.names import POSSESSIVE, Name, place_actors

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

LABELS = ("GPE", "LOC", "NORP", "ORG", "PERSON")
SMALL_WORDS = frozenset("of the and for on in at to de la".split())


def clean(entity: str) -> str:
    """An entity's text without a possessive ending or surrounding punctuation."""
    return POSSESSIVE.sub("", entity.strip(" \t\n,.;:\"“”‘’'()")).strip()


def without_article(name: str) -> str:
    """ "The North Atlantic Treaty Organization" -> "North Atlantic Treaty Organization"."""
    return re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)


def initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w.lower() not in SMALL_WORDS).upper()


def _full_person(name: str, persons: list[str]) -> str:
    """The longest person named in the article whose name ends with this one ("Kell" -> "Marta Kell")."""
    longer = [p for p in persons if len(p) > len(name) and p.split()[-len(name.split()) :] == name.split()]
    return max(longer, key=len) if longer else name


def _expanded(acronym: str, organisations: list[str]) -> str:
    spelled = [o for o in organisations if len(o.split()) > 1 and initials(o) == acronym]
    return spelled[0] if spelled else acronym


def _whole(entity: Span) -> str:
    """A group or organisation with the capitalised words the small model left out in front of it
    ("Liberal" of "the Liberal Democrats")."""
    start = entity.start
    while start < entity.end - 1 and not entity.doc[start].is_alpha:  # "’s European" -> "European"
        start += 1
    while start > entity.sent.start:
        before = entity.doc[start - 1]
        joined = before.idx > 0 and not entity.doc.text[before.idx - 1].isspace()  # "non-Western"
        if before.ent_iob_ != "O" or before.pos_ == "DET" or not before.is_alpha or not before.is_title or joined:
            break
        start -= 1
    return entity.doc[start : entity.end].text


def article_names(doc: Doc) -> list[Name]:
    """Each distinct name in the article with the actor it is grouped under."""
    places = place_actors()
    entities = [
        (clean(_whole(e) if e.label_ in ("NORP", "ORG") else e.text), e.label_) for e in doc.ents if e.label_ in LABELS
    ]
    entities = [(text if places.actors(text) else without_article(text), label) for text, label in entities]
    entities = [(text, label) for text, label in entities if text[:1].isupper()]
    persons = [text for text, label in entities if label == "PERSON"]
    organisations = [text for text, label in entities if label == "ORG"]
    names: dict[str, Name] = {}
    for text, label in entities:
        place = places.actors(text)
        if place:
            actor = next(iter(place))
        elif label == "PERSON":
            actor = _full_person(text, persons)
        elif label == "ORG" and text.isupper():
            actor = _expanded(text, organisations)
        else:
            actor = text
        names.setdefault(text, Name(text, actor, "place" if place else label))
    return list(names.values())
