"""The real Gradio server on localhost, driven through its API."""

import socket
from collections.abc import Iterator

import pytest
from gradio_client import Client

from rag.engine import Engine
from ui.app import launch


@pytest.fixture(scope="module")
def page_url(seeded_engine: Engine) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    page = launch(seeded_engine, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    page.close()


def test_page_answers_with_a_highlighted_escaped_citation(page_url: str) -> None:
    client = Client(page_url, verbose=False)
    history, cleared, citations, view = client.predict(
        "Who told The Times that Washington's participation would be necessary?", [], 5, [], [], api_name="/ask"
    )
    reply = history[-1]["content"][0]["text"]
    assert "A European diplomatic source told The Times" in reply and "[1]" in reply
    assert cleared == "" and citations["value"].startswith("[1] Mehr News Agency")
    assert '<span class="cited source">A European diplomatic source</span>' in view


def test_page_shows_errors_as_messages(page_url: str) -> None:
    history, _, _, view = Client(page_url, verbose=False).predict("   ", [], 5, [], [], api_name="/ask")
    assert history[-1]["content"][0]["text"] == "⚠ The question is empty."
    assert view == ""
