"""Crash trials: the process is killed at every named write step (`rag/faults.py`) and at random moments of
an ingest of several write batches, and a page process (`rag serve`) killed at each step of an upload and a
removal made through its API; each trial then restarts and is compared with a run never killed.

.venv/bin/python -m bench.faults    # also run by bench.reliability; writes bench/results/faults.json

Each trial copies one indexed home (BASE_ARTICLES articles) and runs one operation in a child process:
an ingest of NEW_ARTICLES new and CHANGED_ARTICLES rewritten articles in write batches of BATCH_UNITS units
(six batches), an `add` of one article, or the removal of one. Right after the kill, every article the
catalog lists must have exactly its units in Chroma (nothing half-written visible). Then the home is opened
again and ingested, as the page does when it starts, and must match the run that was never killed: the same
articles at the same versions, `check` clean, and a question about each article citing the same passage.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from gradio_client import handle_file

from bench.page_process import call, child_env, client_of, start_page
from bench.scale import sentence_pool, synthetic_articles
from rag.config import PROJECT_ROOT, Config
from rag.engine import Engine
from rag.ingest.articles import Article, render_article_file, write_article_file
from tests.conftest import free_port

RESULTS = PROJECT_ROOT / "bench" / "results"
BASE_ARTICLES = 6
NEW_ARTICLES = 10
CHANGED_ARTICLES = 2
BATCH_UNITS = 24  # two synthetic articles (12 units each) per write batch
# (operation, crash point, which pass of the point kills): every point, at several passes where it recurs.
NAMED = [
    *(("ingest", "units_added", k) for k in (1, 2, 3, 4, 5, 6)),
    *(("ingest", "catalog_commit_inside", k) for k in (1, 4, 7, 10, 12)),
    *(("ingest", "catalog_committed", k) for k in (1, 2, 3, 4, 5, 6)),
    *(("ingest", "old_units_deleted", k) for k in (1, 2, 3, 4, 5, 6)),
    *(("add", "corpus_file_written", k) for k in (1, 1, 1, 1)),
    *(
        ("remove", point, 1)
        for point in ("removal_hidden", "removal_file_deleted", "removal_units_deleted")
        for _ in range(4)
    ),
]
# The page's upload and removal run the same steps; killing the page process at each shows the page loses
# nothing either (its own start-up ingest is what restarts it).
PAGE = [
    *(("page-add", point, 1) for point in ("corpus_file_written", "units_added", "catalog_commit_inside")),
    ("page-add", "catalog_committed", 1),
    *(("page-remove", point, 1) for point in ("removal_hidden", "removal_file_deleted", "removal_units_deleted")),
]
RANDOM_KILLS = 21
CHILD = (
    "import sys, rag.settings as s; s.WRITE_BATCH_UNITS = {batch}; from rag.cli import main; "
    "raise SystemExit(main(sys.argv[1:]))"
)


def articles(seed: int) -> list[Article]:
    rng = random.Random(seed)
    return synthetic_articles(sentence_pool(rng, 300), BASE_ARTICLES + NEW_ARTICLES + 4, rng, f"fault{seed}")


def template(found: list[Article]) -> tuple[Path, Path]:
    """A home with the first BASE_ARTICLES indexed, and its corpus folder."""
    root = Path(tempfile.mkdtemp(prefix="rag-faults-template-"))
    corpus, home = root / "corpus", root / "home"
    corpus.mkdir()
    for article in found[:BASE_ARTICLES]:
        write_article_file(article, corpus)
    Engine(Config(home=home, corpus_dir=corpus)).ingest(progress=False)
    return home, corpus


def prepare(operation: str, found: list[Article], corpus: Path, trial: int) -> list[str]:
    """Put the operation's input in place; the command line that runs it."""
    if operation == "ingest":
        for article in found[BASE_ARTICLES : BASE_ARTICLES + NEW_ARTICLES]:
            write_article_file(article, corpus)
        for article in found[:CHANGED_ARTICLES]:
            changed = replace(article, text=article.text + "\nA line added in a later version.\n")
            (corpus / f"{article.id}.md").write_text(render_article_file(changed), encoding="utf-8")
        return ["ingest", "--quiet"]
    if operation == "add":
        article = found[BASE_ARTICLES + NEW_ARTICLES + trial % 4]
        plain = corpus.parent / f"{article.id}.txt"
        plain.write_text(article.text, encoding="utf-8")
        return ["add", str(plain), "--title", article.title, "--outlet", article.outlet, "--date", article.date]
    return ["articles", "remove", found[BASE_ARTICLES - 1 - trial % BASE_ARTICLES].id]


def run(command: list[str], home: Path, corpus: Path, crash_at: str | None, kill_after: float | None) -> bool:
    """The operation in a child process; whether it was killed."""
    code = CHILD.format(batch=BATCH_UNITS)
    process = subprocess.Popen(
        [sys.executable, "-c", code, *command],
        cwd=PROJECT_ROOT,
        env=child_env(home, corpus, crash_at),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        process.wait(timeout=kill_after if kill_after is not None else 600)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
    return process.returncode == -signal.SIGKILL


def page_run(operation: str, found: list[Article], home: Path, corpus: Path, crash_at: str | None, trial: int) -> bool:
    """An upload or a removal through the API of a page process; whether the page was killed."""
    port = free_port()
    server = start_page(home, corpus, port, crash_at)
    try:
        if operation == "page-add":
            article = found[BASE_ARTICLES + NEW_ARTICLES + trial % 4]
            upload = corpus.parent / f"{article.id}.txt"
            upload.write_text(article.text, encoding="utf-8")
            form = (article.title, article.outlet, article.date, "")
            call(client_of(port), [handle_file(str(upload))], *form, api_name="/add")
        else:
            call(client_of(port), found[BASE_ARTICLES - 1 - trial % BASE_ARTICLES].id, True, api_name="/remove")
    except Exception:  # the page died under the call: what it left behind is what the trial measures
        pass
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.terminate()
        server.wait(timeout=60)
    return server.returncode == -signal.SIGKILL


def visible(home: Path, corpus: Path) -> tuple[dict[str, str], list[str]]:
    """What a reader sees right after a crash: committed versions, and those whose units are not all there."""
    engine = Engine(Config(home=home, corpus_dir=corpus))
    return engine.catalog.hashes(), engine.check().wrong_units


def restarted(home: Path, corpus: Path) -> dict:
    """Open the home again, ingest as the page does when it starts, then `check` and ask about every article."""
    engine = Engine(Config(home=home, corpus_dir=corpus))
    engine.ingest(progress=False)
    answers = {}
    for entry in engine.articles():
        question = entry.article.text.split("\n")[0][:200]
        answer = engine.ask(question, article_ids=[entry.article.id])
        answers[entry.article.id] = [(c.article_id, c.start, c.end) for c in answer.citations[:1]]
    report = engine.check()
    return {"committed": engine.catalog.hashes(), "check": report.lines(), "answers": answers}


def trial(
    operation: str,
    crash_at: str | None,
    kill_after: float | None,
    found: list[Article],
    base: tuple[Path, Path],
    number: int,
) -> dict:
    root = Path(tempfile.mkdtemp(prefix="rag-faults-trial-"))
    home, corpus = root / "home", root / "corpus"
    shutil.copytree(base[0], home)
    shutil.copytree(base[1], corpus)
    started = time.perf_counter()
    if operation.startswith("page-"):
        killed = page_run(operation, found, home, corpus, crash_at, number)
    else:
        killed = run(prepare(operation, found, corpus, number), home, corpus, crash_at, kill_after)
    seconds = time.perf_counter() - started
    before, half_written = visible(home, corpus)
    after = restarted(home, corpus)
    shutil.rmtree(root, ignore_errors=True)
    return {
        "operation": operation,
        "killed": killed,
        "seconds": round(seconds, 1),
        "committed_at_kill": before,
        "half_written_visible": half_written,
        **after,
    }


def compare(result: dict, reference: dict) -> dict:
    """What a trial lost or showed half-written, against the run never killed."""
    lost = sorted(a for a, h in result["committed_at_kill"].items() if a not in result["committed"])
    differs = sorted(set(result["committed"].items()) ^ set(reference["committed"].items()))
    answers = sorted(a for a in reference["answers"] if result["answers"].get(a) != reference["answers"][a])
    return {
        "committed_at_kill": len(result["committed_at_kill"]),
        "lost": lost,
        "half_written_visible": result["half_written_visible"],
        "state_differs": [a for a, _ in differs],
        "answers_differ": answers,
        "check_clean": not result["check"],
        "check": result["check"][:3],
    }


def variant(operation: str, number: int) -> int:
    """Which article an `add` or a removal of trial `number` touches (an ingest always writes the same ones)."""
    return number % 4 if operation.endswith("add") else number % BASE_ARTICLES if operation.endswith("remove") else 0


_references: dict[tuple[str, int], dict] = {}


def reference_run(operation: str, number: int, found: list[Article], base: tuple[Path, Path]) -> dict:
    """The run never killed of this operation on this article, made once (every trial uses articles(11))."""
    key = (operation, variant(operation, number))
    if key not in _references:
        _references[key] = trial(operation, None, None, found, base, number)
    return _references[key]


def fault_trials() -> dict:
    found = articles(11)
    base = template(found)

    def reference(operation: str, number: int) -> dict:
        return reference_run(operation, number, found, base)

    rows = []
    for number, (operation, point, k) in enumerate(NAMED + PAGE):
        result = trial(operation, f"{point}:{k}", None, found, base, number)
        rows.append(
            {
                "point": point,
                "through": "page" if operation.startswith("page-") else "command line",
                "pass": k,
                "killed": result["killed"],
                **compare(result, reference(operation, number)),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    rng = random.Random(3)
    full = reference("ingest", 0)["seconds"]
    for number in range(RANDOM_KILLS):
        delay = rng.uniform(0.3 * full, 0.98 * full)
        result = trial("ingest", None, delay, found, base, number)
        rows.append(
            {
                "point": f"random, {delay:.1f} s",
                "through": "command line",
                "pass": None,
                "killed": result["killed"],
                **compare(result, reference("ingest", 0)),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    shutil.rmtree(base[0].parent, ignore_errors=True)
    return {"trials": rows, "uninterrupted_ingest_s": full}


def summary(figures: dict) -> dict:
    rows = figures["trials"]
    return {
        "trials": len(rows),
        "points": len({r["point"] for r in rows if r["pass"] is not None}),
        "killed": sum(r["killed"] for r in rows),
        "lost": sum(len(r["lost"]) for r in rows),
        "half_written_visible": sum(bool(r["half_written_visible"]) for r in rows),
        "differs_from_uninterrupted": sum(bool(r["state_differs"] or r["answers_differ"]) for r in rows),
        "check_not_clean": sum(not r["check_clean"] for r in rows),
    }


def main() -> None:
    figures = fault_trials()
    figures["summary"] = summary(figures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "faults.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures["summary"], indent=2))


if __name__ == "__main__":
    main()
