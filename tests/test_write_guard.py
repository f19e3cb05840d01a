"""Writes to one home run one at a time, whoever starts them, and a full disk stops a write with a clear
error that loses nothing (`rag/store/guard.py`)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import rag.ingest.pipeline as pipeline
from rag.ingest.articles import new_article, write_article_file
from rag.store.guard import DiskFull, HomeServed
from tests.conftest import make_engine

PORT_ALDER = Path("eval/fixtures/port-alder")
HARBOUR_NOTICE = (
    "The harbour master said on Tuesday that the night ferry will resume on Monday. "
    "A spokeswoman for the operator told reporters that two crossings a day are planned."
)


def notice(number: int = 0):
    return new_article(
        f"{HARBOUR_NOTICE} Notice number {number} was posted at the terminal.",
        title=f"Ferry resumes {number}",
        outlet="Test Outlet",
        date="2025-03-01",
    )


def test_a_removal_waits_for_an_upload_of_the_same_article_to_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A removal run between an upload's units and its catalog commit would delete the units the commit
    then lists; the write lock makes it wait, whichever engine (thread, process) it comes from."""
    corpus, home = tmp_path / "corpus", tmp_path / "home"
    shutil.copytree(PORT_ALDER, corpus)
    uploader, remover = make_engine(home, corpus), make_engine(home, corpus)
    uploader.ingest(progress=False)
    article = notice()
    reached, go_on = threading.Event(), threading.Event()

    def pause_the_upload(point: str) -> None:
        if point == "units_added" and threading.current_thread().name == "upload":
            reached.set()
            go_on.wait(60)

    monkeypatch.setattr(pipeline, "crash_point", pause_the_upload)
    upload = threading.Thread(target=uploader.add, args=(article,), name="upload")
    upload.start()
    assert reached.wait(120), "the upload reached its units"
    removed: list[bool] = []
    removal = threading.Thread(target=lambda: removed.append(remover.remove(article.id)), name="removal")
    removal.start()
    removal.join(2)
    assert removal.is_alive(), "the removal waits while the upload holds the home"
    go_on.set()
    upload.join(120)
    removal.join(120)
    assert removed == [True], "it then removes the article the upload committed"
    report = remover.check()
    assert report.clean, report.lines()
    assert article.id not in remover.catalog.hashes() and not (corpus / f"{article.id}.md").exists()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        handle.write(b"\0" * shutil.disk_usage(disk).free)
    return filler


def test_a_full_disk_stops_an_ingest_and_an_upload_and_loses_nothing(small_disk: Path) -> None:
    corpus, home = small_disk / "corpus", small_disk / "home"
    shutil.copytree(PORT_ALDER, corpus)
    engine = make_engine(home, corpus)
    engine.ingest(progress=False)
    before = engine.catalog.hashes()
    for number in range(1, 4):
        write_article_file(notice(number), corpus)
    filler = fill(small_disk)

    with pytest.raises(DiskFull, match=r"is full .* indexed before are kept"):
        engine.ingest(progress=False)
    with pytest.raises(DiskFull):
        engine.add(notice(9))
    assert engine.catalog.hashes() == before, "what was committed stays, nothing new is listed"
    assert engine.check().wrong_units == []
    assert not (corpus / f"{notice(9).id}.md").exists() and not list(corpus.glob(".tmp-*")), "no partial file"

    filler.unlink()
    report = engine.ingest(progress=False)
    assert len(report.added) == 3 and not report.errors
    assert engine.check().clean


def test_a_serving_page_owns_an_embedded_home(tmp_path: Path) -> None:
    """An embedded Chroma is one process's: while a page serves the home, a second page does not start and
    other writers are told to go through the page; once it stops, they write again."""
    corpus, home = tmp_path / "corpus", tmp_path / "home"
    shutil.copytree(PORT_ALDER, corpus)
    page, other = make_engine(home, corpus), make_engine(home, corpus)
    with page.serving():
        page.ingest(progress=False)
        with pytest.raises(HomeServed, match="already serves"), other.serving():
            pass
        with pytest.raises(HomeServed, match="Corpus tab"):
            other.add(notice())
        assert page.add(notice())[1].added == [notice().id], "the page itself writes"
    assert other.remove(notice().id), "with the page stopped, other writers are back"
    assert other.check().clean
