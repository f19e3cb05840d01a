"""Metrics over a QA file (JSONL rows: id, question, kind, answer, evidence, must, must_not, abstain)."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from rag.corpus import CorpusError, read_text
from rag.engine import RETRIEVAL_MODES, Engine

KINDS = ("fact", "attribution", "compare", "unanswerable", "cross_article")
QA_FIELDS = {
    "id": str,
    "question": str,
    "kind": str,
    "answer": str,
    "evidence": list,
    "must": list,
    "must_not": list,
    "abstain": bool,
}
RETRIEVAL_DEPTH = 10


@dataclass
class RowResult:
    id: str
    kind: str
    question: str
    expected_abstain: bool
    abstained: bool
    correct: bool
    ranks: dict[str, int | None]
    seconds: float
    answer: str


def load_qa(path: str | Path) -> list[dict]:
    rows = []
    for line_no, line in enumerate(read_text(Path(path)).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(path, f"line {line_no}: not JSON ({exc.msg})") from exc
        for name, kind in QA_FIELDS.items():
            if not isinstance(row.get(name), kind):
                raise CorpusError(path, f"line {line_no}: field {name!r} must be a {kind.__name__}")
        if row["kind"] not in KINDS:
            raise CorpusError(path, f"line {line_no}: kind {row['kind']!r} is not one of {', '.join(KINDS)}")
        rows.append(row)
    if not rows:
        raise CorpusError(path, "holds no QA rows")
    return rows


def _evidence_rank(texts: list[str], evidence: list[str]) -> int | None:
    for rank, text in enumerate(texts, 1):
        if any(e in text or text in e for e in evidence):
            return rank
    return None


def run_row(engine: Engine, row: dict) -> RowResult:
    ranks: dict[str, int | None] = {}
    if row["evidence"]:
        for mode in RETRIEVAL_MODES:
            hits = engine.retrieve(row["question"], RETRIEVAL_DEPTH, mode=mode)
            ranks[mode] = _evidence_rank([h.node.get_content() for h in hits], row["evidence"])
    started = time.perf_counter()
    answer = engine.ask(row["question"])
    seconds = time.perf_counter() - started
    if row["abstain"]:
        correct = answer.abstained
    else:
        text = answer.answer
        correct = (
            not answer.abstained and all(m in text for m in row["must"]) and not any(m in text for m in row["must_not"])
        )
    return RowResult(
        row["id"],
        row["kind"],
        row["question"],
        row["abstain"],
        answer.abstained,
        correct,
        ranks,
        seconds,
        answer.answer,
    )


def _retrieval(results: list[RowResult], mode: str) -> dict[str, float]:
    ranked = [r.ranks[mode] for r in results if mode in r.ranks]
    if not ranked:
        return {}
    hits = {f"hit@{k}": sum(1 for x in ranked if x and x <= k) / len(ranked) for k in (1, 3, 5)}
    return {**hits, "mrr": sum(1 / x for x in ranked if x) / len(ranked)}


def summarize(results: list[RowResult]) -> dict:
    def group(rows: list[RowResult]) -> dict:
        expected = [r for r in rows if r.expected_abstain]
        predicted = [r for r in rows if r.abstained]
        true_abstain = [r for r in rows if r.abstained and r.expected_abstain]
        return {
            "rows": len(rows),
            "correct": sum(r.correct for r in rows) / len(rows),
            "retrieval": {mode: _retrieval(rows, mode) for mode in RETRIEVAL_MODES if _retrieval(rows, mode)},
            "abstention_precision": len(true_abstain) / len(predicted) if predicted else None,
            "abstention_recall": len(true_abstain) / len(expected) if expected else None,
        }

    seconds = sorted(r.seconds for r in results)
    return {
        "overall": group(results),
        "by_kind": {
            kind: group([r for r in results if r.kind == kind])
            for kind in KINDS
            if any(r.kind == kind for r in results)
        },
        "latency_ms": {
            "median": 1000 * statistics.median(seconds),
            "p95": 1000 * seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))],
        },
        "failures": [asdict(r) for r in results if not r.correct],
    }


def evaluate(engine: Engine, qa_path: str | Path, progress: bool = True) -> dict:
    rows = load_qa(qa_path)
    engine.ask(rows[0]["question"])  # load models before timing
    return summarize([run_row(engine, row) for row in tqdm(rows, desc="eval", unit="q", disable=not progress)])


def format_table(summary: dict) -> str:
    modes = " | ".join(f"{m} hit@1 | {m} hit@3" for m in RETRIEVAL_MODES)
    lines = [f"| group | rows | correct | {modes} | MRR (reranked) |", "|---" * (4 + 2 * len(RETRIEVAL_MODES)) + "|"]
    for name, g in {"overall": summary["overall"], **summary["by_kind"]}.items():
        cells = [g["retrieval"].get(m, {}).get(f"hit@{k}") for m in RETRIEVAL_MODES for k in (1, 3)]
        cells.append(g["retrieval"].get("hybrid+rerank", {}).get("mrr"))
        shown = " | ".join("–" if c is None else f"{c:.2f}" for c in cells)
        lines.append(f"| {name} | {g['rows']} | {g['correct']:.2f} | {shown} |")
    o, latency = summary["overall"], summary["latency_ms"]
    precision, recall = ("–" if v is None else f"{v:.2f}" for v in (o["abstention_precision"], o["abstention_recall"]))
    lines += [
        "",
        f"abstention precision {precision}, recall {recall}; "
        f"answer latency median {latency['median']:.0f} ms, p95 {latency['p95']:.0f} ms",
    ]
    return "\n".join(lines)
