"""Disk-full trials: an ingest and an upload on a home whose disk fills up part-way.

.venv/bin/python -m bench.disk_full    # needs root (it mounts a tmpfs); also run by bench.reliability;
                                       # writes bench/results/disk_full.json

Each trial copies the crash trials' indexed home (`bench.faults`) onto a small tmpfs, puts the operation's
input in place, fills the disk to leave a given number of KB, and runs the operation in a child process.
It must end with one clear error line (no traceback), as must a `check` run while the disk is still full;
it must lose no committed article and have left nothing half-written (looked at once space returns, before
anything writes again); then the ingest that starts a page must complete and match a run that never ran out
of space, as the crash trials compare (a refused upload is made again first).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.faults import BATCH_UNITS, CHILD, articles, compare, prepare, reference_run, restarted, template
from bench.page_process import child_env
from rag.config import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
TMPFS_MB = 64
# KB left free before the operation: from a disk already full to one that fills after a few write batches.
INGEST_LEFT_KB = (0, 32, 96, 160, 240, 400, 560, 800)
ADD_LEFT_KB = (0, 16, 96)


def mounted(folder: Path) -> bool:
    command = ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs", str(folder)]
    return subprocess.run(command, capture_output=True).returncode == 0


def fill(disk: Path, left_kb: int) -> Path:
    """A file taking all but `left_kb` KB of the disk's free space."""
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(0, shutil.disk_usage(disk).free - left_kb * 1024))
    return filler


def run(command: list[str], home: Path, corpus: Path) -> subprocess.CompletedProcess:
    code = CHILD.format(batch=BATCH_UNITS)
    return subprocess.run(
        [sys.executable, "-c", code, *command],
        cwd=PROJECT_ROOT,
        env=child_env(home, corpus),
        capture_output=True,
        text=True,
        timeout=600,
    )


# What a reader sees, from a process of its own: this one must not hold the embedded Chroma open while
# a retried upload writes to it (an embedded Chroma belongs to one process, see `rag.store.guard`).
LOOK = """
import json
from rag.config import Config
from rag.engine import Engine
engine = Engine(Config.from_env())
print(json.dumps([engine.catalog.hashes(), engine.check().wrong_units]))
"""


def looked_at(home: Path, corpus: Path) -> tuple[dict[str, str], list[str]]:
    """Committed versions, and those whose units are not all there."""
    done = subprocess.run(
        [sys.executable, "-c", LOOK], cwd=PROJECT_ROOT, env=child_env(home, corpus), capture_output=True, text=True
    )
    committed, wrong_units = json.loads(done.stdout)
    return committed, wrong_units


def trial(operation: str, left_kb: int, found: list, base: tuple[Path, Path], number: int) -> dict:
    disk = Path(tempfile.mkdtemp(prefix="rag-disk-full-"))
    if not mounted(disk):
        raise SystemExit("mounting a tmpfs failed: the disk-full trials need root")
    try:
        home, corpus = disk / "home", disk / "corpus"
        shutil.copytree(base[0], home)
        shutil.copytree(base[1], corpus)
        command = prepare(operation, found, corpus, number)
        filler = fill(disk, left_kb)
        done = run(command, home, corpus)
        errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        leftovers = sorted(p.name for p in corpus.glob(".tmp-*"))
        reader = run(["check"], home, corpus)  # a reader on the full disk: Chroma writes when it opens
        filler.unlink()
        before, half_written = looked_at(home, corpus)  # before anything writes again
        if operation == "add" and done.returncode != 0:
            run(command, home, corpus)  # the refused upload, made again
        after = restarted(home, corpus)
        return {
            "operation": operation,
            "left_kb": left_kb,
            "exit": done.returncode,
            "error": errors[-1][:200] if errors else None,
            "traceback": "Traceback" in done.stderr + reader.stderr,
            "check_on_full_disk": (reader.stdout + reader.stderr).strip().splitlines()[-1][:120],
            "partial_files": leftovers,
            "committed_at_kill": before,
            "half_written_visible": half_written,
            **after,
        }
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
        shutil.rmtree(disk, ignore_errors=True)


def disk_full_trials() -> dict:
    found = articles(11)
    base = template(found)
    plan = [("ingest", kb) for kb in INGEST_LEFT_KB] + [("add", kb) for kb in ADD_LEFT_KB]
    rows = []
    for number, (operation, left_kb) in enumerate(plan):
        result = trial(operation, left_kb, found, base, number)
        row = {
            "operation": operation,
            "left_kb": left_kb,
            "exit": result["exit"],
            "error": result["error"],
            "traceback": result["traceback"],
            "check_on_full_disk": result["check_on_full_disk"],
            "partial_files": result["partial_files"],
            **compare(result, reference_run(operation, number, found, base)),
        }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    shutil.rmtree(base[0].parent, ignore_errors=True)
    return {"trials": rows, "summary": summary(rows)}


def summary(rows: list[dict]) -> dict:
    failed = [r for r in rows if r["exit"] != 0]
    return {
        "trials": len(rows),
        "ran_out_of_space": len(failed),
        "clear_error": sum(bool(r["error"]) and not r["traceback"] for r in failed),
        "traceback": sum(r["traceback"] for r in rows),
        "partial_files_left": sum(bool(r["partial_files"]) for r in rows),
        "lost": sum(len(r["lost"]) for r in rows),
        "half_written_visible": sum(bool(r["half_written_visible"]) for r in rows),
        "differs_after_space_returned": sum(bool(r["state_differs"] or r["answers_differ"]) for r in rows),
        "check_not_clean": sum(not r["check_clean"] for r in rows),
    }


def main() -> None:
    figures = disk_full_trials()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "disk_full.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures["summary"], indent=2))


if __name__ == "__main__":
    main()
