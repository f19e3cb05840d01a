"""The scale-out option: the same engine against a real Chroma server on localhost."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.engine import StoreUnavailable
from tests.conftest import SEED_ID, chroma_server, free_port, make_engine

pytestmark = pytest.mark.subprocess


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server = chroma_server(tmp_path_factory.mktemp("chroma-server"), port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_chroma_server_that_goes_away_gives_a_clear_error_and_answers_again_once_back(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "chroma"
    server = chroma_server(data, port)
    try:
        engine = make_engine(tmp_path / "home", chroma_url=f"http://127.0.0.1:{port}")
        engine.ingest(progress=False)
        question = "Who told The Times that US participation would be necessary?"
        assert "A European diplomatic source" in engine.ask(question).answer
        server.terminate()
        server.wait(timeout=30)
        with pytest.raises(StoreUnavailable, match="does not answer"):
            engine.ask(question)
        server = chroma_server(data, port)
        assert "A European diplomatic source" in engine.ask(question).answer, "answers again, nothing restarted"
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
