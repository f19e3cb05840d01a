"""Outlets that run one text (an agency's copy under their own names): articles whose narration is the same,
sentence for sentence.

Two outlets quoting one statement share its words without sharing a text, so only what an article says in
its own voice counts: a sentence's words outside quotation marks. Two outlets run the same text when at least
`WIRE_SENTENCES` sentences of one have a near twin in the other (`WIRE_OVERLAP` of the shorter narration's word
5-grams in common, a narration of at least `NARRATION_WORDS` words). Outlets are grouped through the pairs
found, so one text run by three outlets is one group.
"""

from __future__ import annotations

import re
from itertools import combinations

from rag.attribution.spans import quote_spans
from rag.compare.article_pairs import ArticleView

WIRE_SENTENCES = 2
WIRE_OVERLAP = 0.6
NARRATION_WORDS = 8
SHINGLE = 5


def narration(text: str) -> list[str]:
    """The words of a sentence outside its quotations, lower-cased."""
    kept, at = [], 0
    for start, end in quote_spans(text):
        kept.append(text[at:start])
        at = end
    kept.append(text[at:])
    return re.findall(r"\w+", " ".join(kept).lower())


def _shingles(view: ArticleView) -> list[set[tuple[str, ...]]]:
    found = []
    for unit in view.units:
        words = narration(unit.span.text)
        if len(words) >= NARRATION_WORDS:
            found.append({tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)})
    return found


def _twins(ours: list[set[tuple[str, ...]]], theirs: list[set[tuple[str, ...]]]) -> int:
    """How many of our sentences have a near twin among theirs."""
    return sum(any(len(a & b) >= WIRE_OVERLAP * min(len(a), len(b)) for b in theirs) for a in ours)


def same_text_groups(views: list[ArticleView]) -> list[list[str]]:
    """Groups of outlets (two or more each, in the order the views give them) whose articles run one text."""
    shingles = {view.article.outlet: [] for view in views}
    for view in views:
        shingles[view.article.outlet] += _shingles(view)
    group_of = {outlet: outlet for outlet in shingles}

    def root(outlet: str) -> str:
        while group_of[outlet] != outlet:
            outlet = group_of[outlet]
        return outlet

    for a, b in combinations(shingles, 2):
        if _twins(shingles[a], shingles[b]) >= WIRE_SENTENCES:
            group_of[root(b)] = root(a)
    groups: dict[str, list[str]] = {}
    for outlet in shingles:
        groups.setdefault(root(outlet), []).append(outlet)
    return [members for members in groups.values() if len(members) > 1]
