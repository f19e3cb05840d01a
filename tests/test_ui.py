"""The real Gradio server on localhost, driven through its API."""

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from gradio_client import Client

from rag import settings
from rag.engine import Engine
from rag.question.prose import LLMSpec
from tests.conftest import SEED_ID, article_file, free_port
from tests.scripted_llm import GOOD_SENTENCE, MISATTRIBUTED, SEED_QUESTION, scripted_llm
from ui.app import ASK_API_OUTPUTS, CORPUS_API_OUTPUTS, PROSE, READ_ONLY, launch


def as_text(shown: str) -> str:
    """What the reader sees of a chat message or the summary, which the page sends as escaped HTML."""
    return unescape(re.sub(r"<[^>]+>", "", shown))


def asked(client: Client, question: str) -> dict:
    """The `/ask` endpoint's outputs by name."""
    return dict(zip(ASK_API_OUTPUTS, client.predict(question, [], 5, [], api_name="/ask"), strict=True))


@pytest.fixture(scope="module")
def page_url(seeded_engine: Engine) -> Iterator[str]:
    port = free_port()
    page = launch(seeded_engine, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    page.close()


def test_page_answers_with_a_highlighted_escaped_citation(page_url: str) -> None:
    shown = asked(
        Client(page_url, verbose=False), "Who told The Times that Washington's participation would be necessary?"
    )
    reply = shown["chat"][-1]["content"][0]["text"]
    assert "A European diplomatic source told The Times" in reply and "[1]" in reply
    assert shown["question"] == "" and shown["citations"]["value"].startswith("[1] Mehr News Agency")
    assert '<span class="cited source">A European diplomatic source</span>' in shown["article_view"]


def test_the_api_and_the_passage_box_give_exact_text_not_html_entities(page_url: str, seeded_engine: Engine) -> None:
    question = "Who told The Times that Washington's participation would be necessary?"
    shown = asked(Client(page_url, verbose=False), question)
    passage, exact = shown["passage"], shown["answer_json"]
    text = seeded_engine.catalog.get(SEED_ID).article.text
    first = exact["citations"][0]
    assert passage == first["text"] == text[first["start"] : first["end"]]
    assert exact["answer"] == seeded_engine.ask(question).answer and "&#" not in exact["answer"]
    assert exact["verified"] and not exact["abstained"]


def test_page_shows_errors_as_messages(page_url: str) -> None:
    shown = asked(Client(page_url, verbose=False), "   ")
    assert shown["chat"][-1]["content"][0]["text"] == "⚠ The question is empty."
    assert "cited" not in shown["article_view"] and shown["answer_json"] == {"error": "The question is empty."}
    assert "The passages an answer cites are listed here" in shown["article_view"]


def test_a_read_only_page_refuses_corpus_changes(seeded_engine: Engine) -> None:
    port = free_port()
    page = launch(seeded_engine, port=port, block=False, read_only=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        status = dict(zip(CORPUS_API_OUTPUTS, client.predict(SEED_ID, True, api_name="/remove"), strict=True))["status"]
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
            exact = dict(zip(ASK_API_OUTPUTS, job.result(), strict=True))["answer_json"]
            chats = [dict(zip(ASK_API_OUTPUTS, output, strict=True))["chat"] for output in job.outputs()]
            shown = [as_text(chat[-1]["content"][0]["text"]) for chat in chats]
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
        lists = dict(zip(CORPUS_API_OUTPUTS, client.predict(None, False, api_name="/remove"), strict=True))
        exact = asked(client, "What did Peskov say?")["answer_json"]
        speakers, _ = client.predict(None, "peskov", api_name="/who")
    finally:
        page.close()
    assert lists["status"] == "Choose an article to remove."
    assert [row[0] for row in lists["articles"]["data"]] == ["bridge"], "only the newest article is listed"
    summary = as_text(lists["indexed"])
    assert summary.startswith("2 article(s) indexed") and summary.endswith("the page lists the newest 1")
    assert {c["article_id"] for c in exact["citations"]} == {SEED_ID}, "answers still come from every article"
    assert any("Peskov" in row[1] for row in speakers["data"]), "the speaker filter searches every article"
