"""What every write to a home (ingest, upload, removal, repair) runs under: one writer at a time, no writer
behind a serving page's back, and a full disk reported as such.

The catalog and Chroma are two stores, so one write is several steps (`rag.ingest.pipeline`). Two writers
interleaving them can undo each other: a removal that runs between an upload's units and its catalog
commit deletes the units the commit then lists. The write lock is an exclusive `flock` on a file in the
home, so it holds between threads (each opens the file anew) and between processes.

An embedded Chroma belongs to one process: a page keeps its own copy of the vector index, and another
process's writes leave it reading units it cannot find ("Error finding id"). So a page on an embedded
Chroma holds the home's serving lock while it runs; a second page on that home does not start, and other
processes' writes are refused with a message saying to make them through the page. With a Chroma server
(`RAG_CHROMA_URL`) there is no such copy, and any number of processes share a home, one writer at a time.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

LOCK_FILE = "writes.lock"
SERVING_FILE = "serving.lock"
# A write that fails with this little space left on the home's or the corpus folder's disk failed for want
# of space, whatever its message says: Chroma reports a full disk as "Failed to apply logs" as often as
# "database or disk is full".
FULL_BELOW_BYTES = 16 * 1024 * 1024
FULL_MESSAGES = ("disk is full", "no space left")


class DiskFull(OSError):
    """A write stopped for want of space. What was committed before stays, nothing half-written is shown,
    and the same write completes once there is space."""


class HomeServed(OSError):
    """Another process serves the home from an embedded Chroma: writes go through its page."""


def _lock_or_refuse(handle: IO[str], mode: int, refusal: str) -> None:
    """Take the serving lock in `mode` without waiting, or raise HomeServed naming the serving process."""
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        raise HomeServed(f"a page (process {handle.read().strip() or '?'}) {refusal}") from None


@contextmanager
def serving(home: Path) -> Iterator[None]:
    """Hold the home's serving lock for as long as a page serves it from an embedded Chroma."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / SERVING_FILE, "a+", encoding="utf-8") as handle:
        refusal = f"already serves {home}; open that page, stop it first, or give both a Chroma server "
        _lock_or_refuse(handle, fcntl.LOCK_EX, refusal + "(RAG_CHROMA_URL) to share the home")
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def refuse_if_served(home: Path) -> None:
    """Raise HomeServed when a page process serves this home from an embedded Chroma."""
    path = home / SERVING_FILE
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        refusal = f"serves {home} with its own copy of the vector index: "
        _lock_or_refuse(handle, fcntl.LOCK_SH, refusal + "add or remove articles in its Corpus tab, or stop it first")
        fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def write_lock(home: Path) -> Iterator[None]:
    """Hold the home's write lock (waiting for another writer to finish)."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return FULL_BELOW_BYTES


def is_disk_full(error: BaseException, folders: list[Path]) -> bool:
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if not isinstance(error, OSError | sqlite3.Error) and type(error).__module__.split(".")[0] != "chromadb":
        return False
    return any(m in str(error).lower() for m in FULL_MESSAGES) or any(
        _free_bytes(f) < FULL_BELOW_BYTES for f in folders
    )


@contextmanager
def disk_errors(home: Path, corpus: Path) -> Iterator[None]:
    """A write (or the opening of the embedded Chroma, which writes) that fails for want of space on the
    home's or the corpus folder's disk, as one clear error."""
    try:
        yield
    except Exception as exc:
        if not is_disk_full(exc, [home, corpus]):
            raise
        free = min(_free_bytes(home), _free_bytes(corpus)) // 1024
        raise DiskFull(
            f"the disk holding {home} or {corpus} is full ({free:,} KB free): the articles indexed before are "
            "kept and nothing half-written is shown; free some space and run it again"
        ) from exc
