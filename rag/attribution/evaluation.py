"""Score the extractor against a folder of gold articles (NAME.txt + NAME.ann in brat standoff)."""

from __future__ import annotations

import time
from pathlib import Path

from rag.attribution.extract import extract_attributions
from rag.attribution.metrics import label_accuracy, merge_counts, span_scores
from rag.attribution.standoff import StandoffError, read_ann
from rag.corpus import read_text


def score_folder(folder: Path) -> dict:
    pairs = sorted(p for p in folder.glob("*.ann") if p.with_suffix(".txt").exists())
    if not pairs:
        raise StandoffError(f"{folder}: no NAME.txt + NAME.ann pairs")
    extract_attributions("Officials said the test text warms the models up.")
    per_file, labels, seconds, misses = [], [], [], []
    for ann in pairs:
        text = read_text(ann.with_suffix(".txt"))
        gold = read_ann(ann, text)
        started = time.perf_counter()
        predicted = extract_attributions(text)
        seconds.append(time.perf_counter() - started)
        per_file.append(span_scores(predicted, gold))
        labels.append((label_accuracy(predicted, gold), len(gold)))
        found = {(a.cue.start, a.cue.end) for a in predicted}
        misses += [
            f"{ann.stem}: missed cue {g.cue.text!r} at {g.cue.start}"
            for g in gold
            if (g.cue.start, g.cue.end) not in found
        ]
    pairs_total = sum(acc["pairs"] for acc, _ in labels)
    return {
        "files": len(pairs),
        "attributions": sum(n for _, n in labels),
        "spans": merge_counts(per_file),
        "quote_type_accuracy": sum((acc["quote_type"] or 0) * acc["pairs"] for acc, _ in labels) / pairs_total,
        "source_kind_accuracy": sum((acc["source_kind"] or 0) * acc["pairs"] for acc, _ in labels) / pairs_total,
        "seconds_per_article": sum(seconds) / len(seconds),
        "missed_cues": misses,
    }


def format_scores(scores: dict) -> str:
    lines = [
        f"{scores['files']} articles, {scores['attributions']} gold attributions",
        "| span | exact P | exact R | exact F1 | overlap P | overlap R | overlap F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for role, modes in scores["spans"].items():
        cells = [f"{modes[m][k]:.2f}" for m in ("exact", "overlap") for k in ("precision", "recall", "f1")]
        lines.append(f"| {role} | {' | '.join(cells)} |")
    lines.append(
        f"quote type accuracy {scores['quote_type_accuracy']:.2f}, source kind accuracy "
        f"{scores['source_kind_accuracy']:.2f}, {1000 * scores['seconds_per_article']:.0f} ms per article"
    )
    lines += scores["missed_cues"]
    return "\n".join(lines)
