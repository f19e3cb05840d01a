"""Core figures on this machine: cold ingest of corpus/, answer latency over the QA set, CLI start.

.venv/bin/python bench/core.py        # prints the figures and writes bench/results/core.json
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rag.config import DEFAULT_CORPUS, PROJECT_ROOT, Config
from rag.engine import Engine
from rag.evaluation.qa import load_qa

RESULTS = PROJECT_ROOT / "bench" / "results" / "core.json"
REPEATS = 3


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    started = time.perf_counter()
    engine = Engine(Config(home=home, corpus_dir=DEFAULT_CORPUS))
    report = engine.ingest(progress=False)
    cold_ingest = time.perf_counter() - started
    started = time.perf_counter()
    engine.ingest(progress=False)
    unchanged_ingest = time.perf_counter() - started
    questions = [row["question"] for row in load_qa(PROJECT_ROOT / "eval" / "qa-seed.jsonl")]
    engine.ask(questions[0])
    latencies = []
    for _ in range(REPEATS):
        for question in questions:
            started = time.perf_counter()
            engine.ask(question)
            latencies.append(1000 * (time.perf_counter() - started))
    env = {"RAG_HOME": str(home), "PATH": ""}
    starts = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rag", "articles"], cwd=PROJECT_ROOT, env=env, capture_output=True, check=True
        )
        starts.append(1000 * (time.perf_counter() - started))
    figures = {
        "articles": len(engine.articles()),
        "units": report.units,
        "cold_ingest_s_including_model_load": round(cold_ingest, 2),
        "unchanged_reingest_ms": round(1000 * unchanged_ingest, 1),
        "answer_ms_median": round(statistics.median(latencies), 1),
        "answer_ms_p95": round(percentile(latencies, 0.95), 1),
        "answers_timed": len(latencies),
        "cli_articles_start_ms_median": round(statistics.median(starts), 1),
    }
    for name, value in figures.items():
        print(f"{name:38} {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
