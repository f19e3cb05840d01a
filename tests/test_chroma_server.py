"""The scale-out option: the same engine against a real Chroma server on localhost."""

import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SEED_ID, free_port, make_engine

pytestmark = pytest.mark.subprocess


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma command ships with chromadb"
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    server = subprocess.Popen(
        [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("chroma server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_ingest_and_ask_through_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "home", chroma_url=chroma_url)
    assert engine.ingest(progress=False).added == [SEED_ID]
    assert engine.collection.count() == engine.catalog.get(SEED_ID).n_units
    answer = engine.ask("Who told The Times that US participation would be necessary?")
    assert "A European diplomatic source told The Times" in answer.answer
    assert engine.ingest(progress=False).unchanged == [SEED_ID]
