"""A page served by its own process (`rag serve`), and calls to its API that always end: what the soak and the
crash trials through the page share."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from gradio_client import Client

from rag.config import PROJECT_ROOT

# Every call to the page has this long to return: a hung call is a reported failure, never a hung bench.
REQUEST_SECONDS = 120


def call(client: Client, *args: object, api_name: str) -> object:
    """One call to the page's API, given `REQUEST_SECONDS` to finish (TimeoutError otherwise)."""
    return client.submit(*args, api_name=api_name).result(timeout=REQUEST_SECONDS)


def client_of(port: int) -> Client:
    return Client(f"http://127.0.0.1:{port}/", verbose=False, httpx_kwargs={"timeout": REQUEST_SECONDS})


def child_env(home: Path, corpus: Path, crash_at: str | None = None, chroma_url: str | None = None) -> dict[str, str]:
    """The environment of a child process working on this home and corpus (and Chroma server); `crash_at`
    names a crash point (`rag.faults`) it dies at."""
    env = {k: v for k, v in os.environ.items() if k not in ("RAG_CRASH_AT", "RAG_CHROMA_URL")}
    env.update(RAG_HOME=str(home), RAG_CORPUS=str(corpus), HF_HUB_OFFLINE="1")
    if crash_at:
        env["RAG_CRASH_AT"] = crash_at
    if chroma_url:
        env["RAG_CHROMA_URL"] = chroma_url
    return env


def start_page(
    home: Path, corpus: Path, port: int, crash_at: str | None = None, chroma_url: str | None = None
) -> subprocess.Popen:
    """`rag serve` on this home and corpus, once it answers."""
    server = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=child_env(home, corpus, crash_at, chroma_url),
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            Client(f"http://127.0.0.1:{port}/", verbose=False)
            return server
        except Exception:  # not up yet
            if server.poll() is not None:
                break
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the page did not start")
