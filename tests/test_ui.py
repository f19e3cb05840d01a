"""The real Gradio server on localhost, driven through its API."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

from rag import settings
from rag.engine import Engine
from rag.question.prose import LLMSpec
from tests.conftest import SEED_ID, article_file, free_port
from tests.scripted_llm import GOOD_SENTENCE, MISATTRIBUTED, SEED_QUESTION, scripted_llm
from ui.app import PROSE, READ_ONLY, launch


@pytest.fixture(scope="module")
def page_url(seeded_engine: Engine) -> Iterator[str]:
    port = free_port()
    page = launch(seeded_engine, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    page.close()


def test_page_answers_with_a_highlighted_escaped_citation(page_url: str) -> None:
    client = Client(page_url, verbose=False)
    history, cleared, citations, view, *_ = client.predict(
        "Who told The Times that Washington's participation would be necessary?", [], 5, [], api_name="/ask"
    )
    reply = history[-1]["content"][0]["text"]
    assert "A European diplomatic source told The Times" in reply and "[1]" in reply
    assert cleared == "" and citations["value"].startswith("[1] Mehr News Agency")
    assert '<span class="cited source">A European diplomatic source</span>' in view


def test_the_api_and_the_passage_box_give_exact_text_not_html_entities(page_url: str, seeded_engine: Engine) -> None:
    client = Client(page_url, verbose=False)
    question = "Who told The Times that Washington's participation would be necessary?"
    *_, passage, exact = client.predict(question, [], 5, [], api_name="/ask")
    text = seeded_engine.catalog.get(SEED_ID).article.text
    first = exact["citations"][0]
    assert passage == first["text"] == text[first["start"] : first["end"]]
    assert exact["answer"] == seeded_engine.ask(question).answer and "&#" not in exact["answer"]
    assert exact["verified"] and not exact["abstained"]


def test_page_shows_errors_as_messages(page_url: str) -> None:
    history, _, _, view, _, exact = Client(page_url, verbose=False).predict("   ", [], 5, [], api_name="/ask")
    assert history[-1]["content"][0]["text"] == "⚠ The question is empty."
    assert view == "" and exact == {"error": "The question is empty."}


def test_a_read_only_page_refuses_corpus_changes(seeded_engine: Engine) -> None:
    port = free_port()
    page = launch(seeded_engine, port=port, block=False, read_only=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        status, *_ = client.predict(SEED_ID, True, api_name="/remove")
        assert status == READ_ONLY
        assert seeded_engine.catalog.get(SEED_ID) is not None
    finally:
        page.close()


def test_the_page_streams_a_model_s_prose_only_after_each_sentence_passes(seeded_engine: Engine) -> None:
    good, bad = GOOD_SENTENCE, MISATTRIBUTED
    with scripted_llm(lambda messages: f"{good} {bad}") as (url, script):
        port = free_port()
        page = launch(seeded_engine, port=port, block=False, llm=LLMSpec.parse(f"openai-like:{url}"))
        try:
            client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            job = client.submit(SEED_QUESTION, [], 5, [], PROSE, api_name="/ask")
            *_, exact = job.result()
            shown = [output[0][-1]["content"][0]["text"] for output in job.outputs()]
        finally:
            page.close()
    assert len(script.requests) == 1 and len(shown) >= 2
    assert all(bad not in text and "NATO" not in text for text in shown), "a failing sentence was streamed"
    assert shown[-1].startswith(good) and "1 of 2 sentence(s) from the language model failed" in shown[-1]
    assert exact["verified"] and exact["model_sentences"][1]["problems"]


def test_a_corpus_bigger_than_the_page_lists_its_newest_articles_and_searches_all(
    fresh_engine: Engine, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "PAGE_ARTICLES", 1)
    article_file(corpus_copy, "bridge.md", "Mayor Ana Ortiz said the bridge would open in May.\n", id="bridge")
    fresh_engine.ingest(progress=False)
    port = free_port()
    page = launch(fresh_engine, port=port, block=False)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        status, table, *_, summary, _ = client.predict(None, False, api_name="/remove")
        *_, exact = client.predict("What did Peskov say?", [], 5, [], api_name="/ask")
        speakers = client.predict(None, "peskov", api_name="/who")
    finally:
        page.close()
    assert status == "Choose an article to remove."
    assert [row[0] for row in table["data"]] == ["bridge"], "only the newest article is listed"
    assert summary.startswith("2 article(s) indexed") and summary.endswith("the page lists the newest 1")
    assert {c["article_id"] for c in exact["citations"]} == {SEED_ID}, "answers still come from every article"
    assert any("Peskov" in row[0] for row in speakers["data"]), "the speaker filter searches every article"
