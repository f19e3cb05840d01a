"""A story's claims across all its outlets: which outlets carry each claim, in their exact words, and how
their accounts differ.

Sentences of N articles are grouped into claims by the cosine of their stored embeddings: article by
article, each sentence joins the claim it is closest to on average (at least `ALIGN_COSINE`) that holds no
sentence of its article yet, best pairs first; the rest start claims of their own. For each claim the
cells are compared: stance words, numbers, people named, name spellings, hedges, speakers and relays, and
claims an outlet credits to itself. Every difference quotes the outlets' own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rag import settings
from rag.attribution.cues import HEDGE_ADVERBS
from rag.attribution.extract import nlp
from rag.compare.article_pairs import ArticleView, UnitView, edit_distance
from rag.compare.stance_words import STANCE_MARKERS
from rag.ingest.articles import Article

NUMBER = re.compile(r"\d[\d,.]*\d|\d")
HEDGES = re.compile(r"\b(?:" + "|".join(sorted(HEDGE_ADVERBS)) + r"|it is (?:understood|believed|thought))\b", re.I)
RELAYS = ("told", "according_to", "cited_by")


@dataclass(frozen=True)
class Cell:
    """One outlet's sentence for a claim."""

    article: Article
    unit: UnitView

    @property
    def text(self) -> str:
        return self.unit.span.text


@dataclass
class Claim:
    cells: list[Cell]

    @property
    def outlets(self) -> list[str]:
        return [cell.article.outlet for cell in self.cells]

    @cached_property
    def _features(self) -> dict[str, list[str]]:
        """Each feature's value for each cell, in cell order: computed once (naming people needs a parse)."""
        return {label: [feature(cell) for cell in self.cells] for label, feature in FEATURES.items()}

    @cached_property
    def _spellings(self) -> list[str]:
        return spelling_variants([self])

    def marks(self, cell: Cell) -> list[str]:
        """The words of this cell where the outlets differ (its stance word, figures, names, hedges,
        speaker, relay, spelling), each a substring of the cell's text."""
        at = self.cells.index(cell)
        found = []
        for values in self._features.values():
            if len(set(values)) > 1:
                found += [q for q in re.findall(r"“([^”]+)”", values[at]) if q in cell.text]
        for variants in self._spellings:
            found += [q for q in re.findall(r"“([^”]+)”", variants) if q in cell.text]
        return list(dict.fromkeys(found))

    def differences(self) -> list[str]:
        found = []
        for label, values in self._features.items():
            by_outlet = dict(zip(self.outlets, values, strict=True))
            if len(set(by_outlet.values())) > 1:
                found.append(f"{label}: " + "; ".join(_grouped(by_outlet)))
        return found + [f"spelling: {variants}" for variants in self._spellings]

    def to_dict(self) -> dict:
        return {
            "outlets": self.outlets,
            "cells": [
                {
                    "article_id": c.article.id,
                    "outlet": c.article.outlet,
                    **c.unit.span.to_dict(),
                    "marks": self.marks(c),
                }
                for c in self.cells
            ],
            "differences": self.differences(),
        }


def _grouped(values: dict[str, str]) -> list[str]:
    """ "“400,000” in A, B; “500,000” in C": each value with the outlets that have it, most common first."""
    by_value: dict[str, list[str]] = {}
    for outlet, value in values.items():
        by_value.setdefault(value, []).append(outlet)
    ordered = sorted(by_value.items(), key=lambda item: -len(item[1]))
    return [f"{value or 'none'} in {', '.join(outlets)}" for value, outlets in ordered]


def _quoted(words: list[str]) -> str:
    return ", ".join(f"“{w}”" for w in dict.fromkeys(words))


def stance_words(cell: Cell) -> str:
    """The first stance word as the outlet wrote it ("oppose", "are concerned")."""
    lowered = cell.text.lower()
    for markers in STANCE_MARKERS.values():
        hits = [at for marker in markers if (at := lowered.find(marker.strip())) >= 0]
        if hits:
            start = min(hits)
            end = start + len(re.match(r"[\w’'-]+", cell.text[start:])[0])
            return f"“{cell.text[start:end]}”"
    return ""


def numbers(cell: Cell) -> str:
    return _quoted(NUMBER.findall(cell.text))


def people(cell: Cell) -> str:
    return _quoted([e.text for e in nlp()(cell.text).ents if e.label_ == "PERSON"])


def hedges(cell: Cell) -> str:
    return _quoted([m[0] for m in HEDGES.finditer(cell.text)])


def speaker(cell: Cell) -> str:
    main = cell.unit.main
    if main is None:
        return "no attribution"
    who = f"“{main.speaker.text}”" if main.speaker else "no named source"
    return f"{who} ({main.source_kind.replace('_', ' ')})"


def relay(cell: Cell) -> str:
    main = cell.unit.main
    links = (
        [f"{link.role.replace('_', ' ')} “{link.text}”" for link in main.chain if link.role in RELAYS] if main else []
    )
    return ", ".join(links)


def self_credit(cell: Cell) -> str:
    """ "the Coast Herald has learned": a claim the outlet credits to itself."""
    main = cell.unit.main
    own = main is not None and main.speaker is not None and cell.article.outlet.lower() in main.speaker.text.lower()
    return "credited to the outlet itself" if own else ""


FEATURES = {
    "stance": stance_words,
    "numbers": numbers,
    "people named": people,
    "hedge": hedges,
    "speaker": speaker,
    "relay": relay,
    "credit": self_credit,
}


def _derived(a: str, b: str) -> bool:
    """A place and its demonym ("Ostria" / "Ostrian"), not two spellings of one name."""
    short, long = sorted((a, b), key=len)
    return long.startswith(short) and long[len(short) :] in ("n", "an", "ian", "ese", "i")


def spelling_variants(claims: list[Claim]) -> list[str]:
    """Names the outlets spell differently ("Dunmere" in four outlets, "Dunmore" in one)."""
    spelled: dict[str, set[str]] = {}
    for claim in claims:
        for cell in claim.cells:
            for word in re.findall(r"\b[A-Z][\w’'-]{3,}\b", cell.text):
                spelled.setdefault(re.sub(r"['’]s$", "", word), set()).add(cell.article.outlet)
    words = sorted(spelled, key=lambda w: -len(spelled[w]))
    found, seen = [], set()
    for i, word in enumerate(words):
        variants = [v for v in words[i + 1 :] if v not in seen and v[0] == word[0] and 0 < edit_distance(word, v) <= 2]
        variants = [v for v in variants if not spelled[v] & spelled[word] and not _derived(word, v)]
        if word in seen or not variants:
            continue
        seen.update(variants)
        groups = {word: spelled[word], **{v: spelled[v] for v in variants}}
        found.append("; ".join(f"“{w}” in {', '.join(sorted(o))}" for w, o in groups.items()))
    return found


def claims(views: list[ArticleView]) -> list[Claim]:
    """The story's claims, those carried by most outlets first, then in the first article's order."""
    groups: list[list[Cell]] = []
    for view in views:
        scored = []
        for i, unit in enumerate(view.units):
            for j, group in enumerate(groups):
                score = float(np.mean([unit.vector @ cell.unit.vector for cell in group]))
                if score >= settings.ALIGN_COSINE:
                    scored.append((score, i, j))
        taken_units, taken_groups, joins = set(), set(), {}
        for _, i, j in sorted(scored, reverse=True):
            if i not in taken_units and j not in taken_groups:
                taken_units.add(i)
                taken_groups.add(j)
                joins[i] = j
        for i, unit in enumerate(view.units):
            cell = Cell(view.article, unit)
            if i in joins:
                groups[joins[i]].append(cell)
            else:
                groups.append([cell])
    order = {id(group): n for n, group in enumerate(groups)}
    return [Claim(group) for group in sorted(groups, key=lambda g: (-len(g), order[id(g)]))]


def story_matrix(views: list[ArticleView]) -> dict:
    found = claims(views)
    return {
        "articles": [
            {"id": v.article.id, "outlet": v.article.outlet, "group": v.article.outlet_group, "date": v.article.date}
            for v in views
        ],
        "claims": [claim.to_dict() for claim in found],
        "spellings": spelling_variants(found),
    }
