"""Small linear models fitted here (logistic regressions over named signals), shipped as JSON: which passage
answers a question, and whether any does (`answer_decision/`, fitted by `train/answer_decision.py`); whether two
outlets' sentences carry the same claim (`claim_pairs/`, fitted by `train/claim_pairs.py`).

A model is its feature names, the mean and scale each feature is standardised with, one weight per feature
and a bias; it reads features by name, so the code that computes them and the model cannot drift apart
silently (a missing feature is an error).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

DECISION_DIR = Path(__file__).resolve().parent / "answer_decision"
CLAIM_PAIRS_DIR = Path(__file__).resolve().parent / "claim_pairs"


@dataclass(frozen=True)
class LinearModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def logit(self, signals: Mapping[str, float]) -> float:
        missing = [name for name in self.features if name not in signals]
        if missing:
            raise KeyError(f"signals missing for the model: {', '.join(missing)}")
        return self.bias + sum(
            w * (signals[name] - m) / s
            for name, m, s, w in zip(self.features, self.mean, self.scale, self.weights, strict=True)
        )

    def probability(self, signals: Mapping[str, float]) -> float:
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, self.logit(signals)))))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> LinearModel:
        return cls.fitted(data["features"], data["mean"], data["scale"], data["weights"], data["bias"])

    @classmethod
    def fitted(
        cls,
        features: Sequence[str],
        mean: Sequence[float],
        scale: Sequence[float],
        weights: Sequence[float],
        bias: float,
    ) -> LinearModel:
        floats = (tuple(float(x) for x in values) for values in (mean, scale, weights))
        return cls(tuple(features), *floats, float(bias))


@cache
def decision_model(name: str) -> LinearModel:
    """One of the shipped decision models: "passage" (does this passage answer?) or "question" (does any?)."""
    return _load(DECISION_DIR / f"{name}.json", "train/answer_decision.py")


@cache
def claim_pair_model() -> LinearModel:
    """Do two outlets' sentences carry the same claim (`rag/compare/claim_pairs.py`)?"""
    return _load(CLAIM_PAIRS_DIR / "pair.json", "train/claim_pairs.py")


def _load(path: Path, script: str) -> LinearModel:
    if not path.is_file():
        raise FileNotFoundError(f"no model {path}; fit it with {script}")
    return LinearModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
