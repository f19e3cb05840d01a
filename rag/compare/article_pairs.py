"""Outlets side by side: how several articles on one story agree, differ, and attribute differently.

Sentences are aligned by the cosine of their stored embeddings (one-to-one, best pairs first). Aligned
pairs are shared claims; the rest belong to one article only. For each aligned pair the attributions are
compared: speaker, named vs anonymous, cue verb, quotation type, and relays ("according to X") dropped.
Spelling variants of names ("Kyiv" / "Kiev") are found by edit distance between capitalised words.
Stories are groups of articles whose mean embeddings are close and whose dates are near.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from rag import settings
from rag.attribution.spans import Attribution, Span
from rag.imports import hidden
from rag.index.who_said_what import speaker_table
from rag.ingest.articles import Article
from rag.store.speaker_index import StoredAttribution

with hidden("sklearn", "scipy"):  # see rag.imports
    from nltk import edit_distance

CAPITALISED = re.compile(r"\b[A-Z][\w’'-]{3,}\b")


@dataclass
class UnitView:
    unit: int
    span: Span
    vector: np.ndarray
    attributions: list[Attribution] = field(default_factory=list)

    @property
    def main(self) -> Attribution | None:
        with_source = [a for a in self.attributions if a.source is not None]
        return (with_source or self.attributions or [None])[0]


@dataclass
class ArticleView:
    article: Article
    units: list[UnitView]

    @property
    def vector(self) -> np.ndarray:
        mean = np.mean([u.vector for u in self.units], axis=0)
        return mean / (np.linalg.norm(mean) or 1.0)


def align(a: list[UnitView], b: list[UnitView]) -> list[tuple[UnitView, UnitView, float]]:
    if not a or not b:
        return []
    similarity = np.array([u.vector for u in a]) @ np.array([v.vector for v in b]).T
    pairs, used_a, used_b = [], set(), set()
    for flat in np.argsort(-similarity, axis=None):
        i, j = divmod(int(flat), similarity.shape[1])
        if similarity[i, j] < settings.ALIGN_COSINE:
            break
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((a[i], b[j], float(similarity[i, j])))
    return sorted(pairs, key=lambda p: p[0].span.start)


def _relays(attribution: Attribution) -> set[str]:
    return {
        f"{link.role.replace('_', ' ')} {link.text}"
        for link in attribution.chain
        if link.role in ("told", "according_to", "cited_by")
    }


def attribution_differences(a: Attribution | None, b: Attribution | None, names: tuple[str, str]) -> list[str]:
    """How two accounts of the same claim attribute it differently, in words quoting both articles."""
    first, second = names
    if a is None and b is None:
        return []
    if a is None or b is None:
        present, name = (a, first) if a else (b, second)
        speaker = present.speaker.text if present.speaker else "no named source"
        return [f"attributed in {name} only: “{speaker}” ({present.cue.text})"]
    found = []
    speaker_a = a.speaker.text if a.speaker else "no named source"
    speaker_b = b.speaker.text if b.speaker else "no named source"
    if speaker_a.lower() != speaker_b.lower():
        found.append(f"speaker: “{speaker_a}” in {first}, “{speaker_b}” in {second}")
    if a.source_kind != b.source_kind:
        found.append(f"source kind: {a.source_kind} in {first}, {b.source_kind} in {second}")
    if a.cue.text.lower() != b.cue.text.lower():
        found.append(f"cue: “{a.cue.text}” in {first}, “{b.cue.text}” in {second}")
    if a.quote_type != b.quote_type:
        found.append(f"quotation: {a.quote_type} in {first}, {b.quote_type} in {second}")
    for relay in sorted(_relays(a) - _relays(b)):
        found.append(f"{relay} in {first}, dropped in {second}")
    for relay in sorted(_relays(b) - _relays(a)):
        found.append(f"{relay} in {second}, absent from {first}")
    return found


def _names(text: str) -> set[str]:
    return {re.sub(r"['’]s$", "", word) for word in CAPITALISED.findall(text)}


def naming_differences(text_a: str, text_b: str) -> list[tuple[str, str]]:
    """Capitalised words one article spells differently from the other ("Kyiv" / "Kiev")."""
    words_a, words_b = _names(text_a), _names(text_b)
    only_a, only_b = words_a - words_b, words_b - words_a
    return sorted(
        (x, y) for x in only_a for y in only_b if x[0] == y[0] and 0 < edit_distance(x.lower(), y.lower()) <= 2
    )


def compare_pair(a: ArticleView, b: ArticleView) -> dict:
    names = (a.article.outlet, b.article.outlet)
    pairs = align(a.units, b.units)
    matched_a = {id(p[0]) for p in pairs}
    matched_b = {id(p[1]) for p in pairs}
    return {
        "a": a.article.id,
        "b": b.article.id,
        "shared": [
            {
                "a": ua.span.to_dict(),
                "b": ub.span.to_dict(),
                "cosine": round(cosine, 3),
                "attribution_differences": attribution_differences(ua.main, ub.main, names),
            }
            for ua, ub, cosine in pairs
        ],
        "only_a": [u.span.to_dict() for u in a.units if id(u) not in matched_a],
        "only_b": [u.span.to_dict() for u in b.units if id(u) not in matched_b],
        "naming": [{"a": x, "b": y} for x, y in naming_differences(a.article.text, b.article.text)],
    }


def sources_of(view: ArticleView) -> list[dict]:
    stored = [StoredAttribution(view.article.id, u.unit, a) for u in view.units for a in u.attributions]
    return [{"speaker": row.speaker, "kind": row.kind, "cues": row.cues} for row in speaker_table(stored)]


def compare_articles(views: list[ArticleView]) -> dict:
    return {
        "articles": [
            {"id": v.article.id, "outlet": v.article.outlet, "date": v.article.date, "title": v.article.title}
            for v in views
        ],
        "pairs": [compare_pair(a, b) for a, b in combinations(views, 2)],
        "sources": {v.article.id: sources_of(v) for v in views},
    }


def stories(views: list[ArticleView]) -> list[list[str]]:
    """Groups of article ids reporting the same event: close mean embeddings and dates within a week."""
    parent = {v.article.id: v.article.id for v in views}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in combinations([v for v in views if v.units], 2):
        days = abs((dt.date.fromisoformat(a.article.date) - dt.date.fromisoformat(b.article.date)).days)
        if days <= settings.STORY_DAYS and float(a.vector @ b.vector) >= settings.STORY_COSINE:
            parent[root(a.article.id)] = root(b.article.id)
    groups: dict[str, list[str]] = {}
    for v in views:
        groups.setdefault(root(v.article.id), []).append(v.article.id)
    return sorted(groups.values(), key=lambda g: (-len(g), g))
