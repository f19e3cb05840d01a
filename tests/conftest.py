"""Shared fixtures and helpers: a real engine (real model, real Chroma) in a temporary data folder, the CLI
in a child process, the `ask --json` contract, free ports.

Markers (`make test-fast` leaves the three slow kinds out): `browser` drives Chromium against the page,
`export` exports a model to ONNX with torch, `subprocess` runs the CLI or Python in a child process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rag.config import DEFAULT_CORPUS, PROJECT_ROOT, Config, go_offline
from rag.engine import Engine
from rag.question.answer import QUOTED, Answer

if TYPE_CHECKING:
    from playwright.sync_api import Browser

go_offline()

SEED_ARTICLE = DEFAULT_CORPUS / "mna-2025-02-01-eu-divided-over-western-troops.md"
SEED_ID = "mna-2025-02-01-eu-divided-over-western-troops"
CONTRACT_KEYS = {"question", "answer", "abstained", "citations", "attributions"}
CITATION_KEYS = {"n", "article_id", "outlet", "start", "end", "text"}
# Questions the articles leave unanswered that the fitted answerability decision still answers: kept as known
# failures, so that a decision that gets them right shows (strict: passing fails the mark).
ABSTENTION_MISSED = pytest.mark.xfail(
    reason="the fitted decision weighs a missing answer type or missing words against a passage the relevance model "
    "rates high, and answers (rag/models/answer_decision/README.md, Limits)",
    strict=True,
)


def free_port() -> int:
    """A port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chroma_server(data: Path, port: int) -> subprocess.Popen:
    """A Chroma server on localhost, once it answers its heartbeat."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma command ships with chromadb"
    server = subprocess.Popen(
        [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                return server
        except OSError:
            time.sleep(0.25)
    server.terminate()
    raise RuntimeError("the Chroma server did not start")


def make_engine(home: Path, corpus: Path | None = None, chroma_url: str | None = None) -> Engine:
    return Engine(Config(home=home, corpus_dir=corpus or DEFAULT_CORPUS, chroma_url=chroma_url))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, for the tests marked `browser`."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    assert Path(CHROMIUM).exists(), "install Debian's chromium (make test does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def seeded_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The default corpus ingested once; tests using it must not change it."""
    engine = make_engine(tmp_path_factory.mktemp("home"))
    report = engine.ingest(progress=False)
    assert report.added == [SEED_ID] and not report.errors
    return engine


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED_ARTICLE, folder / SEED_ARTICLE.name)
    return folder


@pytest.fixture
def fresh_engine(tmp_path: Path, corpus_copy: Path) -> Engine:
    """An engine of its own over a copy of the corpus, for tests that add, change or remove articles."""
    return make_engine(tmp_path / "home", corpus_copy)


def article_file(folder: Path, name: str, body: str, **meta: str) -> Path:
    fields = {"title": "A test story", "outlet": "The Daily Test", "date": "2025-03-01", **meta}
    front = "".join(f"{k}: {v}\n" for k, v in fields.items())
    path = folder / name
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return path


def run_cli(
    home: Path, *args: str, corpus: Path | None = None, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env or {}), "RAG_HOME": str(home)}
    if corpus:
        env["RAG_CORPUS"] = str(corpus)
    return subprocess.run(
        [sys.executable, "-m", "rag", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        input=stdin,
    )


def check_contract(answer: Answer, article_text: str) -> None:
    data = json.loads(json.dumps(answer.to_dict()))
    assert data.keys() >= CONTRACT_KEYS
    marks = {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])}
    assert marks == {c["n"] for c in data["citations"]}
    for c in data["citations"]:
        assert c.keys() >= CITATION_KEYS
        assert c["text"] == article_text[c["start"] : c["end"]]
    for item in data["attributions"]:
        assert item["n"] in marks
        for role in ("source", "cue", "content", "resolved_source"):
            if item[role]:
                assert article_text[item[role]["start"] : item[role]["end"]] == item[role]["text"]
    cited = [c["text"] for c in data["citations"]]
    for pattern in QUOTED:
        for quoted in pattern.findall(data["answer"]):
            assert any(quoted in text for text in cited), quoted
