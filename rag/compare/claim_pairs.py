"""Do two outlets' sentences carry the same claim? A logistic regression over signals of the pair (how alike
their stored embeddings are, the share of content words they have in common, figures that differ), fitted on
hand-labelled claim pairs of real coverage (`train/claim_pairs.py`; model card in
`rag/models/claim_pairs/README.md`). Every pair of sentences of two articles at least `CLAIM_CANDIDATE_COSINE`
alike is scored; the others are different claims."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag import settings
from rag.compare.article_pairs import ArticleView
from rag.index.terms import content_terms
from rag.models.linear import claim_pair_model

NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# A figure written in digits or words ("18", "eighteen", "a dozen", "two hours").
COUNTS = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|"
    r"millions?|billions?|dozens?|half)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    """What the pair signals read of one sentence."""

    terms: frozenset[str]
    counts: bool  # it gives a figure, in digits or words
    figures: frozenset[str]  # its figures in digits

    @classmethod
    def of(cls, text: str) -> Sentence:
        return cls(frozenset(content_terms(text)), bool(COUNTS.search(text)), frozenset(NUMBER.findall(text)))


def pair_signals(cosine: float, a: Sentence, b: Sentence) -> dict[str, float]:
    """The signals the model reads for two sentences whose embeddings are `cosine` alike."""
    union = a.terms | b.terms
    return {
        "cosine": cosine,
        "shared_words": len(a.terms & b.terms) / len(union) if union else 0.0,
        "figures_differ": float(bool(a.figures and b.figures and not a.figures & b.figures)),
    }


def same_claim(cosine: float, a: Sentence, b: Sentence) -> float:
    """The probability that two sentences carry the same claim. A figure is part of a claim: a sentence that gives
    one and a sentence that gives none ("has not said how many") never carry the same claim, however alike they
    read (the labelled pairs hold too few such pairs to teach it)."""
    return 0.0 if a.counts != b.counts else claim_pair_model().probability(pair_signals(cosine, a, b))


def same_claim_scores(views: list[ArticleView]) -> np.ndarray:
    """How likely each two sentences of the story carry the same claim (rows and columns: every article's units
    in order); 0 within an article and below `CLAIM_CANDIDATE_COSINE`."""
    vectors = np.array([u.vector for view in views for u in view.units])
    article = np.array([a for a, view in enumerate(views) for _ in view.units])
    similarity = vectors @ vectors.T
    sentences = [Sentence.of(unit.span.text) for view in views for unit in view.units]
    scores = np.zeros(similarity.shape, dtype=np.float32)
    candidate = (similarity >= settings.CLAIM_CANDIDATE_COSINE) & (article[:, None] != article[None, :])
    for x, y in zip(*np.nonzero(np.triu(candidate, k=1)), strict=True):
        scores[x, y] = scores[y, x] = same_claim(float(similarity[x, y]), sentences[x], sentences[y])
    return scores
