"""The Microsoft Research Paraphrase Corpus (MSRP) read into sentence pairs, and the scores its papers report
(accuracy and F1 of the paraphrase class), for the claim model's public test."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    ids: str
    a: str
    b: str
    same: bool


def read_msrp(path: Path) -> list[Pair]:
    """Rows `Quality, #1 ID, #2 ID, #1 String, #2 String` (tab-separated, a header line, quotes literal)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [Pair(f"{r[1]}-{r[2]}", r[3], r[4], r[0] == "1") for r in rows[1:] if len(r) == 5]


def read_sts(path: Path, genres: Sequence[str]) -> list[tuple[str, str, float]]:
    """STS benchmark rows `genre, file, year, id, score, sentence, sentence` of the given files ("headlines"), each
    as (sentence, sentence, score / 5)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r[5], r[6], float(r[4]) / 5) for r in rows if len(r) >= 7 and r[1] in genres]


def accuracy_f1(gold: Sequence[bool], predicted: Sequence[bool]) -> tuple[float, float]:
    right = sum(g == p for g, p in zip(gold, predicted, strict=True))
    true_positive = sum(g and p for g, p in zip(gold, predicted, strict=True))
    f1 = 2 * true_positive / (sum(gold) + sum(predicted)) if any(gold) or any(predicted) else 0.0
    return right / len(gold), f1


def paraphrase_scores(pairs: list[Pair], same: Callable[[list[tuple[str, str]]], Sequence[float]]) -> dict:
    """Accuracy and F1 at probability 0.5 (the threshold the papers use)."""
    probabilities = same([(p.a, p.b) for p in pairs])
    accuracy, f1 = accuracy_f1([p.same for p in pairs], [float(x) >= 0.5 for x in probabilities])
    return {"pairs": len(pairs), "accuracy": round(accuracy, 3), "f1": round(f1, 3)}
