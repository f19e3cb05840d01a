"""Named crash points, for the reliability bench: proof that a crash at any step of a write loses nothing.

`RAG_CRASH_AT=NAME` kills the process (SIGKILL: no cleanup, no flush) the first time it passes the point
NAME, `RAG_CRASH_AT=NAME:K` the K-th time. Unset, as it always is outside the bench and its tests, a point
costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "corpus_file_written",  # `add`: the article's file is in the corpus folder, nothing indexed yet
    "units_added",  # ingest: a write batch's units are in Chroma, the catalog does not list them
    "catalog_commit_inside",  # ingest: inside the catalog transaction, one article's rows written
    "catalog_committed",  # ingest: the batch is visible, older versions' units not yet deleted
    "old_units_deleted",  # ingest: older versions' units deleted, the batch still marked pending
    "removal_hidden",  # removal: the catalog no longer lists the article, its file and units remain
    "removal_file_deleted",  # removal: the file is gone, the units remain
    "removal_units_deleted",  # removal: the units are gone, the article still marked pending
)
_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    wanted = os.environ.get("RAG_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
