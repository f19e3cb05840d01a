"""Score the extractor against gold: a folder of NAME.txt + NAME.ann (our brat), or a PolNeAR split."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from rag.attribution.extract import extract_attributions
from rag.attribution.spans import Attribution
from rag.evaluation.polnear import read_split
from rag.evaluation.span_metrics import label_accuracy, merge_counts, span_scores
from rag.evaluation.standoff import StandoffError, read_ann
from rag.ingest.articles import read_text

Extractor = Callable[[str], list[Attribution]]
MAX_LISTED_MISSES = 200


def gold_folder(folder: Path) -> list[tuple[str, str, list[Attribution]]]:
    pairs = sorted(p for p in folder.glob("*.ann") if p.with_suffix(".txt").exists())
    if not pairs:
        raise StandoffError(f"{folder}: no NAME.txt + NAME.ann pairs")
    documents = []
    for ann in pairs:
        text = read_text(ann.with_suffix(".txt"))
        documents.append((ann.stem, text, read_ann(ann, text)))
    return documents


def gold_polnear(root: Path, split: str = "dev") -> list[tuple[str, str, list[Attribution]]]:
    return [(d.name, d.text, list(d.attributions)) for d in read_split(root, split)]


def score(
    documents: Iterable[tuple[str, str, list[Attribution]]],
    extract: Extractor = extract_attributions,
    labelled: bool = True,
) -> dict:
    """Micro-averaged span scores, label accuracy, time per article and the gold cues that were missed.

    `labelled` is false for gold without quote types and source kinds (PolNeAR): no accuracy is reported.
    """
    extract("Officials said the test text warms the models up.")
    per_file, labels, seconds, misses = [], [], [], []
    for name, text, gold in documents:
        started = time.perf_counter()
        predicted = extract(text)
        seconds.append(time.perf_counter() - started)
        per_file.append(span_scores(predicted, gold))
        labels.append(label_accuracy(predicted, gold))
        misses += [f"{name}: missed cue {g.cue.text!r} at {g.cue.start}" for g in gold if not _found(g, predicted)]
    pairs_total = sum(acc["pairs"] for acc in labels) or 1

    def accuracy(label: str) -> float | None:
        return sum((acc[label] or 0) * acc["pairs"] for acc in labels) / pairs_total if labelled else None

    return {
        "files": len(per_file),
        "attributions": sum(s["cue"]["exact"]["gold"] for s in per_file),
        "spans": merge_counts(per_file),
        "quote_type_accuracy": accuracy("quote_type"),
        "source_kind_accuracy": accuracy("source_kind"),
        "seconds_per_article": sum(seconds) / len(seconds),
        "missed_cues": misses,
    }


def _found(gold: Attribution, predicted: list[Attribution]) -> bool:
    return any(p.cue.overlaps(gold.cue) for p in predicted)


def score_folder(folder: Path, extract: Extractor = extract_attributions) -> dict:
    return score(gold_folder(folder), extract)


def format_scores(scores: dict) -> str:
    lines = [
        f"{scores['files']} articles, {scores['attributions']} gold attributions",
        "| span | exact P | exact R | exact F1 | overlap P | overlap R | overlap F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for role, modes in scores["spans"].items():
        cells = [f"{modes[m][k]:.2f}" for m in ("exact", "overlap") for k in ("precision", "recall", "f1")]
        lines.append(f"| {role} | {' | '.join(cells)} |")
    timing = f"{1000 * scores['seconds_per_article']:.0f} ms per article"
    if scores["quote_type_accuracy"] is None:
        lines.append(f"(this gold has no quote types or source kinds), {timing}")
    else:
        lines.append(
            f"quote type accuracy {scores['quote_type_accuracy']:.2f}, source kind accuracy "
            f"{scores['source_kind_accuracy']:.2f}, {timing}"
        )
    missed = scores["missed_cues"]
    lines += missed[:MAX_LISTED_MISSES]
    if len(missed) > MAX_LISTED_MISSES:
        lines.append(f"… and {len(missed) - MAX_LISTED_MISSES} more missed cues")
    return "\n".join(lines)
