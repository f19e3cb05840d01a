"""What every write to a home (ingest, upload, removal, repair) runs under: one writer at a time, and a full
disk reported as such.

The catalog and Chroma are two stores, so one write is several steps (`rag.ingest.pipeline`). Two writers
interleaving them can undo each other: a removal that runs between an upload's units and its catalog
commit deletes the units the commit then lists. The lock is an exclusive `flock` on a file in the home,
so it holds between threads (each opens the file anew) and between processes (a page and the command
line, or two pages, on one home).
"""

from __future__ import annotations

import errno
import fcntl
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "writes.lock"
# A write that fails with this little space left on the home's or the corpus folder's disk failed for want
# of space, whatever its message says: Chroma reports a full disk as "Failed to apply logs" as often as
# "database or disk is full".
FULL_BELOW_BYTES = 16 * 1024 * 1024
FULL_MESSAGES = ("disk is full", "no space left")


class DiskFull(OSError):
    """A write stopped for want of space. What was committed before stays, nothing half-written is shown,
    and the same write completes once there is space."""


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
    """A write that fails for want of space on the home's or the corpus folder's disk, as one clear error."""
    try:
        yield
    except Exception as exc:
        if not is_disk_full(exc, [home, corpus]):
            raise
        free = min(_free_bytes(home), _free_bytes(corpus)) // 1024
        raise DiskFull(
            f"the disk holding {home} or {corpus} is full ({free:,} KB free): the write stopped, the articles "
            "indexed before are kept and nothing half-written is shown; free some space and run it again"
        ) from exc
