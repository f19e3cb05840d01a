"""A soak: one page serving mixed questions, uploads and removals at a steady rate, watched for growth.

.venv/bin/python -m bench.soak [--minutes 30]    # writes bench/results/soak.{json,md}

The page runs in its own process (`rag serve`) on a copy of the seed corpus plus synthetic articles. Each
`ASK_EVERY` seconds one of the page benchmark's questions is asked through the page's API; each `CHANGE_EVERY`
seconds an article is uploaded through `/add`, and the upload before it removed through `/remove`. Every
minute the server's resident memory, open files and the sizes of the catalog's and Chroma's SQLite files
(and of their WALs, when they keep one) are read, with that minute's errors and p95. Growth is judged
after `WARM_MINUTES` (models and caches loaded by then).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from gradio_client import handle_file

from bench.page import QUESTIONS
from bench.page_process import call, client_of, start_page
from bench.reliability import article_folder, ask_payload, percentile
from bench.scale import sentence_pool, synthetic_articles
from rag.config import DEFAULT_CORPUS, PROJECT_ROOT
from rag.ingest.articles import render_article_file
from tests.conftest import free_port

RESULTS = PROJECT_ROOT / "bench" / "results"
ASK_EVERY = 2.0
CHANGE_EVERY = 30.0
WARM_MINUTES = 5


def server_figures(pid: int, home: Path) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))

    def kb(path: Path) -> float:
        return round(path.stat().st_size / 1024, 1) if path.exists() else 0.0

    return {
        "rss_mb": round(rss_kb / 1024, 1),
        "open_files": len(os.listdir(f"/proc/{pid}/fd")),
        "catalog_wal_kb": kb(home / "catalog.sqlite3-wal"),
        "catalog_kb": kb(home / "catalog.sqlite3"),
        "chroma_wal_kb": kb(home / "chroma" / "chroma.sqlite3-wal"),
        "chroma_kb": kb(home / "chroma" / "chroma.sqlite3"),
    }


def soak(minutes: float) -> dict:
    corpus = article_folder(40, 21, "soak")
    shutil.copy(next(DEFAULT_CORPUS.glob("*.md")), corpus)
    home, uploads = Path(tempfile.mkdtemp(prefix="rag-soak-home-")), Path(tempfile.mkdtemp(prefix="rag-soak-up-"))
    port = free_port()
    server = start_page(home, corpus, port)
    client = client_of(port)
    rng = random.Random(4)
    fresh = iter(synthetic_articles(sentence_pool(rng, 600), 10_000, rng, "upload"))
    samples, minute_times, errors, uploaded = [], [], [], []
    started = last_change = last_sample = time.perf_counter()
    try:
        while time.perf_counter() - started < minutes * 60:
            tick = time.perf_counter()
            try:
                call(client, *ask_payload(rng.choice(QUESTIONS)), api_name="/ask")
                minute_times.append(time.perf_counter() - tick)
            except Exception as exc:  # every failure is counted and shown, never fatal
                errors.append(f"ask: {str(exc).splitlines()[0][:120]}")
            if tick - last_change >= CHANGE_EVERY:
                last_change = tick
                article = next(fresh)
                path = uploads / f"{article.id}.md"
                path.write_text(render_article_file(article), encoding="utf-8")
                try:
                    call(client, [handle_file(str(path))], "", "", "", "", api_name="/add")
                    if uploaded:
                        call(client, uploaded.pop(0), True, api_name="/remove")
                    uploaded.append(article.id)
                except Exception as exc:
                    errors.append(f"corpus: {str(exc).splitlines()[0][:120]}")
            if tick - last_sample >= 60:
                last_sample = tick
                samples.append(
                    {
                        "minute": round((tick - started) / 60, 1),
                        **server_figures(server.pid, home),
                        "questions": len(minute_times),
                        "p95_ms": round(1000 * percentile(minute_times, 0.95), 1) if minute_times else None,
                        "errors_so_far": len(errors),
                    }
                )
                print(json.dumps(samples[-1]), file=sys.stderr, flush=True)
                minute_times = []
            time.sleep(max(0.0, ASK_EVERY - (time.perf_counter() - tick)))
    finally:
        server.terminate()
        server.wait(timeout=60)
    warm = next((s for s in samples if s["minute"] >= WARM_MINUTES), samples[0])
    return {
        "minutes": minutes,
        "samples": samples,
        "errors": errors,
        "rss_growth_after_warm_up": round(samples[-1]["rss_mb"] / warm["rss_mb"] - 1, 3),
    }


def markdown(figures: dict) -> str:
    lines = [
        f"{figures['minutes']} minutes; errors {len(figures['errors'])}; RSS growth after minute {WARM_MINUTES}: "
        f"{figures['rss_growth_after_warm_up']:.1%}",
        "",
        "| minute | RSS MB | open files | catalog KB (WAL) | Chroma KB (WAL) | questions | p95 ms | errors so far |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {s['minute']} | {s['rss_mb']} | {s['open_files']} | {s['catalog_kb']} ({s['catalog_wal_kb']}) | "
        f"{s['chroma_kb']} ({s['chroma_wal_kb']}) | {s['questions']} | {s['p95_ms']} | {s['errors_so_far']} |"
        for s in figures["samples"]
    ]
    return "\n".join(lines + [""] + [f"- {e}" for e in figures["errors"][:20]]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    figures = soak(parser.parse_args().minutes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(figures, indent=2))
    (RESULTS / "soak.md").write_text(markdown(figures))
    print(markdown(figures))


if __name__ == "__main__":
    main()
