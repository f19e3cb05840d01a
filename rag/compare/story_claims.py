"""A story's claims across all its outlets: which outlets carry each claim, in their exact words, and how
their accounts differ.

Whether two outlets' sentences carry the same claim is decided by the claim-pair model (a logistic regression
over the pair's embedding cosine, shared words and figures, fitted on hand-labelled pairs of real coverage,
`rag/compare/claim_pairs.py`), on every pair of sentences of two articles that are alike enough to be read.
Claims are merged best pair first while all the pairs between them are on average rated the same claim, with
at most `CLAIM_SENTENCES_PER_OUTLET` sentences of one outlet. For each claim the cells are compared: stance
words, numbers, people named, name spellings, hedges, speakers and relays, and claims an outlet credits to
itself. Every difference quotes the outlets' own words.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from rag import settings
from rag.attribution.cues import HEDGE_ADVERBS
from rag.attribution.extract import nlp
from rag.attribution.spans import Span
from rag.compare.article_pairs import ArticleView, UnitView, edit_distance
from rag.compare.claim_pairs import NUMBER, same_claim_scores
from rag.compare.stance_words import stance_hits
from rag.compare.wire_copy import same_text_groups
from rag.ingest.articles import Article

HEDGES = re.compile(r"\b(?:" + "|".join(sorted(HEDGE_ADVERBS)) + r"|it is (?:understood|believed|thought))\b", re.I)
RELAYS = ("told", "according_to", "cited_by")
# Outlets named with the most common value of a difference; more are counted instead.
NAMED_OUTLETS = 4


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
        """The outlets that carry the claim, each once (one may carry it in two sentences)."""
        return list(dict.fromkeys(cell.article.outlet for cell in self.cells))

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
            per_outlet: dict[str, list[str]] = {}
            for cell, value in zip(self.cells, values, strict=True):
                per_outlet.setdefault(cell.article.outlet, []).append(value)
            by_outlet = {outlet: ", ".join(dict.fromkeys(filter(None, found))) for outlet, found in per_outlet.items()}
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
    """ "“400,000” in A, B; “500,000” in C": each value with the outlets that have it, most common first; the
    most common one, when more than `NAMED_OUTLETS` outlets share it, by their number ("none in 9 outlets"), so
    that a claim of twelve outlets stays readable."""
    by_value: dict[str, list[str]] = {}
    for outlet, value in values.items():
        by_value.setdefault(value, []).append(outlet)
    ordered = sorted(by_value.items(), key=lambda item: -len(item[1]))
    return [
        f"{value or 'none'} in "
        + (f"{len(outlets)} outlets" if n == 0 and len(outlets) > NAMED_OUTLETS else ", ".join(outlets))
        for n, (value, outlets) in enumerate(ordered)
    ]


def _quoted(words: list[str]) -> str:
    return ", ".join(f"“{w}”" for w in dict.fromkeys(words))


def stance_words(cell: Cell) -> str:
    """The first stance word as the outlet wrote it ("oppose", "are concerned"), of an actor's own cue: a stance
    is what a source does ("Karsa and Velmar oppose …"), not a word of the narration ("the campaign against
    Kyiv", "If he returns")."""
    for attribution in cell.unit.attributions:
        if attribution.speaker is None:
            continue
        first = next(stance_hits(attribution.cue.text), None)
        if first:
            return f"“{attribution.cue.text[first[1] : first[2]]}”"
    return ""


def numbers(cell: Cell) -> str:
    """The figures of a sentence, as digits: of its counts, amounts, quantities and shares, never of a date, a
    clock time or an ordinal ("2029", "9 a.m." and "21st" are not figures to compare); "About 3,000" and "Some
    3,000" give the same figure. A bare four-digit number from 1500 to 2099 that the recogniser calls a count
    ("sank in 1912") is read as the year it almost always is."""
    figures = [n for label, text in _entities(cell.text) if label in FIGURES for n in NUMBER.findall(text)]
    return _quoted([n for n in figures if not YEAR.fullmatch(n)])


def people(cell: Cell) -> str:
    return _quoted([text for label, text in _entities(cell.text) if label == "PERSON"])


FIGURES = ("CARDINAL", "QUANTITY", "MONEY", "PERCENT")
YEAR = re.compile(r"(?:1[5-9]|20)\d\d")


@lru_cache(maxsize=20_000)
def _entities(text: str) -> tuple[tuple[str, str], ...]:
    """(label, text) of the entities spaCy's recogniser finds in a sentence: read once per sentence, since a
    story's claims are compared again for each question about it. Only the recogniser runs (it has its own
    token vectors): the tagger and parser it does not need took three quarters of the time."""
    model = nlp()
    return tuple((e.label_, e.text) for e in model.get_pipe("ner")(model.make_doc(text)).ents)


def hedges(cell: Cell) -> str:
    return _quoted([m[0] for m in HEDGES.finditer(cell.text)])


def _in(cell: Cell, span: Span | None) -> bool:
    """Whether a span lies in the cell's sentence: only such words may be quoted beside it."""
    return span is not None and cell.unit.span.start <= span.start and span.end <= cell.unit.span.end


def speaker(cell: Cell) -> str:
    main = cell.unit.main
    if main is None:
        return "no attribution"
    named = next((span for span in (main.speaker, main.named_source) if _in(cell, span)), None)
    who = f"“{named.text}”" if named else "no named source"
    return f"{who} ({main.source_kind.replace('_', ' ')})"


def relay(cell: Cell) -> str:
    main = cell.unit.main
    if main is None:
        return ""
    links = [link for link in main.chain if link.role in RELAYS and (link.span is None or _in(cell, link.span))]
    return ", ".join(f"{link.role.replace('_', ' ')} “{link.text}”" for link in links)


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
    """The story's claims, those carried by most outlets first, then in the first article's order. Sentences
    are merged into claims best pair first, two claims only when all the pairs between them are on average
    rated the same claim (`SAME_CLAIM_AT`) and no outlet would have more than `CLAIM_SENTENCES_PER_OUTLET`
    sentences in it."""
    cells = [Cell(view.article, unit) for view in views for unit in view.units]
    if not cells:
        return []
    article = [a for a, view in enumerate(views) for _ in view.units]
    scores = same_claim_scores(views)
    claim_of = list(range(len(cells)))
    members = {n: [n] for n in range(len(cells))}
    likely = np.argwhere(np.triu(scores >= settings.SAME_CLAIM_AT, k=1))
    for x, y in sorted(likely.tolist(), key=lambda pair: -scores[pair[0], pair[1]]):
        first, second = claim_of[x], claim_of[y]
        if first == second or article[x] == article[y]:
            continue
        joined = members[first] + members[second]
        crowded = max(Counter(article[n] for n in joined).values()) > settings.CLAIM_SENTENCES_PER_OUTLET
        if crowded or scores[np.ix_(members[first], members[second])].mean() < settings.SAME_CLAIM_AT:
            continue
        for n in members[second]:
            claim_of[n] = first
        members[first] = sorted(joined)
        del members[second]
    ranked = sorted(members.values(), key=lambda m: (-len({article[n] for n in m}), m[0]))
    return [Claim([cells[n] for n in group]) for group in ranked]


def story_matrix(views: list[ArticleView]) -> dict:
    found = claims(views)
    return {
        "same_text": same_text_groups(views),
        "articles": [
            {"id": v.article.id, "outlet": v.article.outlet, "group": v.article.outlet_group, "date": v.article.date}
            for v in views
        ],
        "claims": [claim.to_dict() for claim in found],
        "spellings": spelling_variants(found),
    }
