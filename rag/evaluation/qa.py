"""Metrics over a QA file (JSONL rows: id, question, kind, answer, evidence, must, must_not, abstain).

Our pipeline and the plain baseline (`rag.evaluation.baseline`) answer the same questions in one run, so the report
shows what retrieval fusion, reranking, the attribution layer, abstention and verification buy; with a
language model, its verified prose ("generative") is scored beside them, with the share of its sentences
that failed verification.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from tqdm import tqdm

from rag import settings
from rag.engine import Engine
from rag.evaluation.baseline import BaselinePipeline
from rag.evaluation.citation_quality import CitationCounts, citation_counts
from rag.ingest.articles import CorpusError, read_text
from rag.question.answer import Answer
from rag.question.prose import LLMSpec

KINDS = ("fact", "attribution", "compare", "unanswerable", "cross_article", "outlets")
REQUIRED_FIELDS = {"id": str, "question": str, "kind": str}
# Fields a row may leave out, with the value it then has.
OPTIONAL_FIELDS: dict[str, tuple[type, object]] = {
    "answer": (str, ""),
    "evidence": (list, []),
    "must": (list, []),
    "must_not": (list, []),
    "abstain": (bool, False),
}
STORY_QA = "qa.jsonl"  # in a story folder, beside its articles (`articles/`, or the folder itself)
# Retrieval variants measured side by side: which candidate sources, and whether the reranker orders them.
RETRIEVAL_MODES = {
    "dense": {"lexical": False, "rerank": "none"},
    "bm25": {"dense": False, "rerank": "none"},
    "hybrid": {"rerank": "none"},
    "hybrid+rerank": {"rerank": "lexical"},
    "hybrid+relevance": {"rerank": "relevance"},
    "hybrid+answers": {},
}


@dataclass
class RowResult:
    id: str
    kind: str
    question: str
    expected_abstain: bool
    abstained: bool
    correct: bool
    speaker_verbatim: bool | None
    seconds: float
    answer: str
    citations: CitationCounts = field(default_factory=CitationCounts)
    ranks: dict[str, int | None] = field(default_factory=dict)
    model_sentences: int = 0  # sentences a language model wrote for the answer
    replaced: int = 0  # of those, the ones that failed verification and were replaced
    withheld: list[str] = field(default_factory=list)  # components whose answer failed verification first


def load_qa(path: str | Path) -> list[dict]:
    rows = []
    for line_no, line in enumerate(read_text(Path(path)).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(path, f"line {line_no}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise CorpusError(path, f"line {line_no}: not a JSON object")
        for name, kind in REQUIRED_FIELDS.items():
            if not isinstance(row.get(name), kind):
                raise CorpusError(path, f"line {line_no}: field {name!r} must be a {kind.__name__}")
        for name, (kind, default) in OPTIONAL_FIELDS.items():
            row.setdefault(name, default)
            if not isinstance(row[name], kind):
                raise CorpusError(path, f"line {line_no}: field {name!r} must be a {kind.__name__}")
        if row["kind"] not in KINDS:
            raise CorpusError(path, f"line {line_no}: kind {row['kind']!r} is not one of {', '.join(KINDS)}")
        rows.append(row)
    if not rows:
        raise CorpusError(path, "holds no QA rows")
    return rows


def story_folder(folder: Path) -> tuple[Path, Path]:
    """The articles and the QA file of a story folder (`articles/` and `qa.jsonl`, as in realnews)."""
    articles = folder / "articles" if (folder / "articles").is_dir() else folder
    qa = folder / STORY_QA
    if not qa.is_file():
        raise CorpusError(folder, f"a story folder needs its questions in {STORY_QA}")
    return articles, qa


def _evidence_rank(texts: list[str], evidence: list[str]) -> int | None:
    for rank, text in enumerate(texts, 1):
        if any(e in text or text in e for e in evidence):
            return rank
    return None


def judge(row: dict, answer: Answer, seconds: float) -> RowResult:
    """Score one answer against its row: correctness (every `must` string in the answer, in any case, none of
    the `must_not` strings, abstained exactly when the row says so), speaker exactness, citation quality."""
    text = answer.answer
    said = text.lower()
    if row["abstain"]:
        correct = answer.abstained
    else:
        correct = not answer.abstained and all(m.lower() in said for m in row["must"])
    correct = correct and not any(m.lower() in said for m in row["must_not"])
    speaker_verbatim = None
    if row["kind"] == "attribution" and not row["abstain"] and row["must"]:
        speaker_verbatim = row["must"][0] in text
    return RowResult(
        row["id"],
        row["kind"],
        row["question"],
        row["abstain"],
        answer.abstained,
        correct,
        speaker_verbatim,
        seconds,
        text,
        citation_counts(answer),
        model_sentences=len(answer.model_sentences),
        replaced=sum(1 for sentence in answer.model_sentences if sentence["problems"]),
        withheld=answer.withheld,
    )


def run_row(engine: Engine, ask: Callable[[str], Answer], row: dict, with_ranks: bool) -> RowResult:
    started = time.perf_counter()
    answer = ask(row["question"])
    result = judge(row, answer, time.perf_counter() - started)
    if with_ranks and row["evidence"]:
        for mode, parts in RETRIEVAL_MODES.items():
            hits = engine.retrieve(row["question"], settings.RETRIEVAL_DEPTH, **parts)
            result.ranks[mode] = _evidence_rank([h.node.get_content() for h in hits], row["evidence"])
    return result


def _retrieval(results: list[RowResult], mode: str) -> dict[str, float]:
    ranked = [r.ranks[mode] for r in results if mode in r.ranks]
    if not ranked:
        return {}
    hits = {f"hit@{k}": sum(1 for x in ranked if x and x <= k) / len(ranked) for k in (1, 3, 5)}
    return {**hits, "mrr": sum(1 / x for x in ranked if x) / len(ranked)}


def _group(rows: list[RowResult]) -> dict:
    expected = [r for r in rows if r.expected_abstain]
    predicted = [r for r in rows if r.abstained]
    true_abstain = [r for r in rows if r.abstained and r.expected_abstain]
    speakers = [r.speaker_verbatim for r in rows if r.speaker_verbatim is not None]
    counts = CitationCounts()
    for r in rows:
        counts.add(r.citations)
    written = sum(r.model_sentences for r in rows)
    return {
        "rows": len(rows),
        "correct": sum(r.correct for r in rows) / len(rows),
        "retrieval": {mode: _retrieval(rows, mode) for mode in RETRIEVAL_MODES if _retrieval(rows, mode)},
        "speaker_verbatim": sum(speakers) / len(speakers) if speakers else None,
        "citation_recall": counts.recall,
        "citation_precision": counts.precision,
        "abstention_precision": len(true_abstain) / len(predicted) if predicted else None,
        "abstention_recall": len(true_abstain) / len(expected) if expected else None,
        "replaced_sentences": sum(r.replaced for r in rows) / written if written else None,
        "verification_failures": sum(bool(r.withheld) for r in rows),
    }


def summarize(results: list[RowResult]) -> dict:
    seconds = sorted(r.seconds for r in results)
    return {
        "overall": _group(results),
        "by_kind": {k: _group([r for r in results if r.kind == k]) for k in KINDS if any(r.kind == k for r in results)},
        "latency_ms": {
            "median": 1000 * statistics.median(seconds),
            "p95": 1000 * seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))],
        },
        "failures": [asdict(r) for r in results if not r.correct],
    }


def evaluate(
    engine: Engine, qa_path: str | Path, progress: bool = True, baseline: bool = True, llm: LLMSpec | None = None
) -> dict:
    """Run every row through our pipeline (and the baseline, and with a language model our pipeline's verified
    prose as "generative"); return {"qa", "systems": {name: summary}}."""

    rows = load_qa(qa_path)
    systems: dict[str, Callable[[str], Answer]] = {"ours": engine.ask}
    if llm is not None:
        systems["generative"] = partial(engine.ask, llm=llm)
    if baseline:
        systems["baseline"] = BaselinePipeline(engine).ask
    summaries = {}
    for name, ask in systems.items():
        ask(rows[0]["question"])  # load models before timing
        results = [
            run_row(engine, ask, row, with_ranks=name == "ours")
            for row in tqdm(rows, desc=f"eval {name}", unit="q", disable=not progress)
        ]
        summaries[name] = summarize(results)
    return {"qa": Path(qa_path).name, "rows": len(rows), "systems": summaries}


def _cell(value: float | None) -> str:
    if isinstance(value, int):
        return str(value)
    return "–" if value is None else f"{value:.2f}"


METRICS = (
    ("correct", "answers correct"),
    ("speaker_verbatim", "speaker phrase verbatim"),
    ("citation_recall", "citation recall"),
    ("citation_precision", "citation precision"),
    ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall"),
    ("replaced_sentences", "model sentences replaced"),
    ("verification_failures", "answers that failed verification (a later component answered)"),
)


def format_table(report: dict) -> str:
    """Markdown: ours vs baseline per metric, per kind, then retrieval stages and latency."""
    systems = report["systems"]
    names = list(systems)
    kinds = ["overall", *systems[names[0]]["by_kind"]]
    lines = ["| metric | " + " | ".join(f"{k} ({n})" for k in kinds for n in names) + " |"]
    lines.append("|---" * (1 + len(kinds) * len(names)) + "|")

    def group(name: str, kind: str) -> dict:
        return systems[name]["overall"] if kind == "overall" else systems[name]["by_kind"][kind]

    for key, label in METRICS:
        lines.append(f"| {label} | " + " | ".join(_cell(group(n, k)[key]) for k in kinds for n in names) + " |")
    ours = systems["ours"]["overall"]["retrieval"]
    lines += ["", "| retrieval (ours, answerable rows) | hit@1 | hit@3 | hit@5 | MRR |", "|---|---|---|---|---|"]
    for mode, scores in ours.items():
        lines.append(f"| {mode} | " + " | ".join(_cell(scores[m]) for m in ("hit@1", "hit@3", "hit@5", "mrr")) + " |")
    lines += ["", "| latency | median ms | p95 ms |", "|---|---|---|"]
    for name in names:
        latency = systems[name]["latency_ms"]
        lines.append(f"| {name} | {latency['median']:.0f} | {latency['p95']:.0f} |")
    return "\n".join(lines)


def below_thresholds(report: dict, minimums: dict[str, float]) -> list[str]:
    """The overall metrics of our pipeline that fall below the given minimums."""
    overall = report["systems"]["ours"]["overall"]
    return [
        f"{key} {overall[key]:.3f} < {minimum}"
        for key, minimum in minimums.items()
        if overall.get(key) is not None and overall[key] < minimum
    ]
