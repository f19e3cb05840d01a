"""Span precision / recall / F1 per role (source, cue, content), exact and overlap, as citron and PolNeAR report.

Matching is one-to-one: each predicted span may claim at most one gold span of the same role. Exact needs
identical offsets; overlap needs any shared character. Quote type and source kind are scored as accuracy
over attributions whose cue overlaps a gold cue.
"""

from __future__ import annotations

from collections.abc import Callable

from rag.attribution.spans import Attribution, Span

ROLES = ("source", "cue", "content")


def _matches(predicted: list[Span], gold: list[Span], same: Callable[[Span, Span], bool]) -> int:
    free = list(gold)
    found = 0
    for span in predicted:
        partner = next((g for g in free if same(span, g)), None)
        if partner is not None:
            free.remove(partner)
            found += 1
    return found


def _prf(found: int, predicted: int, gold: int) -> dict[str, float]:
    precision = found / predicted if predicted else 0.0
    recall = found / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "matched": found, "predicted": predicted, "gold": gold}


def span_scores(predicted: list[Attribution], gold: list[Attribution]) -> dict[str, dict[str, dict[str, float]]]:
    scores: dict[str, dict[str, dict[str, float]]] = {}
    for role in ROLES:
        pred_spans = [s for s in (getattr(a, role) for a in predicted) if s is not None]
        gold_spans = [s for s in (getattr(a, role) for a in gold) if s is not None]
        scores[role] = {
            "exact": _prf(_matches(pred_spans, gold_spans, lambda p, g: p == g), len(pred_spans), len(gold_spans)),
            "overlap": _prf(_matches(pred_spans, gold_spans, Span.overlaps), len(pred_spans), len(gold_spans)),
        }
    return scores


def label_accuracy(predicted: list[Attribution], gold: list[Attribution]) -> dict[str, float | None]:
    pairs: list[tuple[Attribution, Attribution]] = []
    free = list(gold)
    for p in predicted:
        partner = next((g for g in free if p.cue.overlaps(g.cue) and p.content.overlaps(g.content)), None)
        if partner is not None:
            free.remove(partner)
            pairs.append((p, partner))
    if not pairs:
        return {"quote_type": None, "source_kind": None, "pairs": 0}
    return {
        "quote_type": sum(p.quote_type == g.quote_type for p, g in pairs) / len(pairs),
        "source_kind": sum(p.source_kind == g.source_kind for p, g in pairs) / len(pairs),
        "pairs": len(pairs),
    }


def merge_counts(per_file: list[dict[str, dict[str, dict[str, float]]]]) -> dict[str, dict[str, dict[str, float]]]:
    """Micro-averaged scores over several files."""
    total: dict[str, dict[str, dict[str, float]]] = {}
    for role in ROLES:
        total[role] = {}
        for mode in ("exact", "overlap"):
            found = sum(s[role][mode]["matched"] for s in per_file)
            predicted = sum(s[role][mode]["predicted"] for s in per_file)
            gold = sum(s[role][mode]["gold"] for s in per_file)
            total[role][mode] = _prf(int(found), int(predicted), int(gold))
    return total
