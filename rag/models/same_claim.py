"""The claim model: do these two sentences, from two outlets, carry the same claim? A cross-encoder trained
here on the Microsoft Research Paraphrase Corpus of news sentence pairs (`train/claim_model.py`; model card in
`claim_model/README.md`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from rag.models.cross_encoder import CrossEncoder

MODEL_DIR = Path(__file__).resolve().parent / "claim_model"
# Both sentences are kept whole up to this many word pieces (the relevance model cuts its question at 48).
FIRST_PIECES = 96


@cache
def claim_model() -> CrossEncoder:
    return CrossEncoder.load(MODEL_DIR, FIRST_PIECES)


# Probabilities already computed, by sentence pair: a story's claims are read again for each question about it.
_known: dict[tuple[str, str], float] = {}
KNOWN_PAIRS = 200_000


def same_claim(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """The probability that each pair of sentences carries the same claim. The model, trained on both orders,
    reads each pair once in a fixed order, so the result does not depend on which sentence comes first."""
    ordered = [(a, b) if a <= b else (b, a) for a, b in pairs]
    missing = list(dict.fromkeys(pair for pair in ordered if pair not in _known))
    if len(_known) + len(missing) > KNOWN_PAIRS:
        _known.clear()
    if missing:
        scores = claim_model().pair_scores([(a, b, "") for a, b in missing])
        _known.update(zip(missing, (float(x) for x in scores), strict=True))
    return np.array([_known[pair] for pair in ordered], dtype=np.float32)
