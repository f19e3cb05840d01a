"""The real page in a real browser (Debian's Chromium driven by Playwright), served on localhost."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from rag.engine import Engine
from rag.question.prose import LLMSpec
from tests.browser import CITED_TEXT, articles_table, ask, cited_text, corpus_status, open_page, remove, upload
from tests.conftest import free_port, make_engine
from tests.scripted_llm import GOOD_SENTENCE, MISATTRIBUTED, SEED_QUESTION, scripted_llm
from ui.app import launch

pytestmark = pytest.mark.browser

PAYLOAD = (
    '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2"> '
    "[click me](javascript:window.__pwned=3) ![pixel](http://198.51.100.7/p.png)"
)
XSS_ARTICLE = f"""---
id: xss-test
title: "<img src=x onerror=window.__pwned=4> Harbour gala"
outlet: "<b>The Test Herald</b>"
date: 2025-05-05
url: "javascript:window.__pwned=5"
---
The harbour gala drew a large crowd on Saturday. {PAYLOAD}
"We had the best night of the year," organiser Pia Lund told reporters.
"""


@pytest.fixture(scope="module")
def page_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    corpus = tmp_path_factory.mktemp("page-corpus")
    shutil.copy(Path("corpus/mna-2025-02-01-eu-divided-over-western-troops.md"), corpus)
    engine = make_engine(tmp_path_factory.mktemp("page-home"), corpus)
    engine.ingest(progress=False)
    return engine


@pytest.fixture(scope="module")
def url(page_engine: Engine) -> Iterator[str]:
    port = free_port()
    app = launch(page_engine, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


@pytest.fixture
def page(browser: Browser, url: str) -> Iterator[Page]:
    page = open_page(browser, url)
    yield page
    page.context.close()


def test_question_gets_a_cited_answer_with_the_span_highlighted(page: Page) -> None:
    reply = ask(page, "Who told The Times that Washington's participation would be necessary?")
    assert "A European diplomatic source told The Times" in reply and "[1]" in reply
    assert page.locator("#citations input[type=radio]").count() == 1
    assert cited_text(page).startswith("A European diplomatic source told The Times that Washington")
    assert page.inner_text("#article-view .article-view .cited.source") == "A European diplomatic source"
    assert page.inner_text("#article-view .article-view .cited.cue") == "told"  # the recipient is not the cue
    assert page.locator("#article-view .legend .content").count() == 1
    assert page.outside_requests == [], "the page fetched something from outside"


def test_choosing_another_citation_moves_the_highlight(page: Page) -> None:
    ask(page, "Compare what Peskov and Miroshnik said about peacekeepers.")
    radios = page.locator("#citations label")
    assert radios.count() == 2
    first = cited_text(page)
    radios.nth(1).click()
    page.wait_for_function(f"t => ({CITED_TEXT})() !== t", arg=first)
    texts = [first, cited_text(page)]
    assert any(t.startswith("Kremlin spokesman Dmitry Peskov said") for t in texts)
    assert any("senior Russian diplomat Rodion Miroshnik warned" in t for t in texts)


MARK_POSITION = """mark => {
  const walker = document.createTreeWalker(document.querySelector('#chat'), NodeFilter.SHOW_TEXT);
  let found = null;
  while (walker.nextNode()) {
    const at = walker.currentNode.textContent.lastIndexOf(mark);
    if (at >= 0) found = [walker.currentNode, at];
  }
  const range = document.createRange();
  range.setStart(found[0], found[1] + 1);
  range.setEnd(found[0], found[1] + 2);
  const box = range.getBoundingClientRect();
  return [box.x + box.width / 2, box.y + box.height / 2];
}"""
IN_VIEW = """() => { const box = document.querySelector('#article-view .article-view .cited').getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight; }"""


def test_clicking_a_citation_mark_opens_its_passage_in_view(page: Page) -> None:
    ask(page, "Compare what Peskov and Miroshnik said about peacekeepers.")
    first = cited_text(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    x, y = page.evaluate(MARK_POSITION, "[2]")
    page.mouse.click(x, y)
    page.wait_for_function(f"t => ({CITED_TEXT})() !== t", arg=first)
    assert page.locator("#citations input[type=radio]").nth(1).is_checked()
    page.wait_for_function(IN_VIEW, timeout=5_000)


def test_follow_up_questions_are_read_in_context(page: Page) -> None:
    ask(page, "What did Peskov say?")
    reply = ask(page, "What about Miroshnik?")
    assert "(understood as: What did Miroshnik say?)" in reply
    assert "senior Russian diplomat Rodion Miroshnik" in reply


def test_errors_are_messages(page: Page) -> None:
    page.fill("#question textarea", "   ")
    page.click("#ask")
    page.wait_for_function("() => document.querySelector('#chat').innerText.includes('The question is empty.')")
    replies = page.locator("#chat .bot")
    assert replies.last.inner_text().strip() == "⚠ The question is empty."
    assert page.locator(".toast-body").count() == 0, "no error pop-up, no traceback"
    assert "Traceback" not in page.inner_text("body")


def test_who_said_what_table_filters(page: Page) -> None:
    page.get_by_role("tab", name="Who said what").click()
    page.fill("#who-filter textarea", "Peskov")
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('#who-table').innerText.includes('Some EU officials')")
    table = page.inner_text("#who-table")
    assert "Kremlin spokesman Dmitry Peskov" in table and "named person" in table


def test_upload_answer_then_remove(page: Page, tmp_path: Path) -> None:
    story = tmp_path / "dam.txt"
    story.write_text("Engineers in Northvale said the old dam held during the storm.\n", encoding="utf-8")
    upload(page, story, title="Dam holds", outlet="Northvale Gazette", date="2025-04-02")
    assert "1 added" in corpus_status(page, "added")
    page.get_by_role("tab", name="Ask").click()
    reply = ask(page, "What did the engineers in Northvale say about the dam?")
    assert "Engineers in Northvale said the old dam held during the storm." in reply
    status = remove(page, "Dam holds", "northvale-gazette-2025-04-02-dam-holds")
    assert "Removed northvale-gazette-2025-04-02-dam-holds." in status
    page.get_by_role("tab", name="Ask").click()
    assert "do not answer" in ask(page, "What did the engineers in Northvale say about the dam?")


def test_an_upload_shows_everywhere_after_a_reload_and_its_removal_lasts(
    page: Page, page_engine: Engine, tmp_path: Path
) -> None:
    story = tmp_path / "ferry.txt"
    story.write_text("Officials in Eastmere said the night ferry would resume in May.\n", encoding="utf-8")
    upload(page, story, title="Ferry returns", outlet="Eastmere Post", date="2025-04-03")
    corpus_status(page, "1 added")
    article_id = "eastmere-post-2025-04-03-ferry-returns"
    stored = page_engine.config.corpus_dir / f"{article_id}.md"
    assert stored.exists()
    page.reload(wait_until="load")
    page.wait_for_selector("#question textarea")
    page.get_by_role("tab", name="Who said what").click()
    page.click("#who-article input")
    assert page.get_by_role("option").filter(has_text="Ferry returns").count() == 1
    page.keyboard.press("Escape")
    page.get_by_role("tab", name="Corpus").click()
    page.wait_for_function("() => document.querySelector('#articles').innerText.includes('Ferry returns')")
    assert f"Removed {article_id}." in remove(page, "Ferry returns", article_id)
    assert not stored.exists()
    restarted = make_engine(page_engine.config.home, page_engine.config.corpus_dir)
    assert restarted.ingest(progress=False).added == [] and restarted.catalog.get(article_id) is None


def test_a_rejected_duplicate_upload_leaves_no_file(page: Page, page_engine: Engine, tmp_path: Path) -> None:
    seed = page_engine.catalog.get("mna-2025-02-01-eu-divided-over-western-troops").article
    copy = tmp_path / "copy.txt"
    copy.write_text(seed.text, encoding="utf-8")
    before = sorted(p.name for p in page_engine.config.corpus_dir.iterdir())
    upload(page, copy, title="Copied report", outlet="Copy Desk", date="2025-02-03")
    assert "same text as indexed article" in corpus_status(page, "copy.txt")
    assert sorted(p.name for p in page_engine.config.corpus_dir.iterdir()) == before


def test_bad_files_get_a_readable_message_and_lose_nothing(page: Page, tmp_path: Path) -> None:
    binary = tmp_path / "broken.txt"
    binary.write_bytes(b"\x89PNG\x00\x00\x00")
    page.get_by_role("tab", name="Corpus").click()
    before = articles_table(page)
    assert "mna-2025-02-01-eu-divided-over-western-troops" in before
    upload(page, binary, title="x", outlet="y", date="2025-01-01")
    assert "looks like a binary file" in corpus_status(page, "broken.txt")
    assert articles_table(page) == before


def test_markup_in_articles_and_questions_never_executes(page: Page, tmp_path: Path) -> None:
    article = tmp_path / "xss.md"
    article.write_text(XSS_ARTICLE, encoding="utf-8")
    upload(page, article)
    corpus_status(page, "added")
    page.get_by_role("tab", name="Ask").click()
    reply = ask(page, f"What did organiser Pia Lund tell reporters about the harbour gala? {PAYLOAD}")
    assert "organiser Pia Lund told reporters" in reply
    assert "organiser Pia Lund told reporters" in cited_text(page)
    passage = page.input_value("#passage textarea")
    assert '"We had the best night of the year," organiser Pia Lund told reporters.' in passage
    assert "<script>window.__pwned = 1</script>" in passage and "&lt;" not in passage, "exact text, not entities"
    view = page.inner_text("#article-view")
    assert "<script>window.__pwned = 1</script>" in view and '<img src="x"' in view
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#chat img[src='x'], #article-view img, #article-view script, #chat script").count() == 0
    assert page.locator("#article-view a[href^='javascript']").count() == 0
    assert page.dialogs == [] and page.outside_requests == []
    assert "Removed xss-test." in remove(page, "Harbour gala", "xss-test")


def test_compare_tab_shows_positions_with_a_chart(page: Page) -> None:
    page.get_by_role("tab", name="Compare").click()
    page.click("#compare-actors")
    page.wait_for_selector("#actors-view table.compare")
    assert page.locator("#actors-view svg rect").count() > 3
    table = page.inner_text("#actors-view table.compare")
    assert "Germany" in table and "opposes" in table and "stated by Berlin (opposes, via The Times)" in table
    assert page.outside_requests == []


def test_on_a_phone_every_tab_is_labelled_and_reachable(browser: Browser, url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.goto(url, wait_until="load")
    phone.wait_for_selector("#question textarea")
    for name in ("Ask", "Who said what", "Compare", "Corpus"):
        tab = phone.get_by_role("tab", name=name)
        assert tab.is_visible(), f"tab {name!r} is hidden on a narrow screen"
        box = tab.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert phone.locator(".overflow-menu button").filter(visible=True).count() == 0
    phone.get_by_role("tab", name="Corpus").tap()
    phone.wait_for_selector("#upload", state="visible")
    context.close()


@pytest.fixture(scope="module")
def story_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    engine = make_engine(tmp_path_factory.mktemp("story-page-home"), Path("eval/fixtures/dunmere"))
    engine.ingest(progress=False)
    port = free_port()
    app = launch(engine, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


def test_the_story_view_sets_outlets_side_by_side_with_their_differences_marked(
    browser: Browser, story_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(story_url, wait_until="load")
    page.get_by_role("tab", name="Compare").click()
    page.click("#story-pick input")
    page.get_by_role("option").filter(has_text="Coast Herald").first.click()
    page.click("#show-story")
    page.wait_for_selector("#story-view table.story")
    header = page.inner_text("#story-view table.story tr >> nth=0")
    for outlet in ("The Ostrian Ledger", "Northern Wire", "Coast Herald", "Karsa Today", "The Valley Times"):
        assert outlet in header
    marked = page.locator("#story-view mark").all_inner_texts()
    assert {"500,000", "Dunmore", "oppose", "concerned"} <= set(marked)
    assert any("Jonas Berg" in text for text in marked)
    assert "5 of 5" in page.inner_text("#story-view") and "Lantern" not in page.inner_text("#story-view")
    first_claim = page.locator("#story-view td.claim details").first
    assert not first_claim.locator("li").first.is_visible(), "a claim's sentences wait until the row is opened"
    first_claim.locator("summary").click()
    opened = first_claim.locator("li b").all_inner_texts()
    assert len(opened) >= 2 and all(outlet in header for outlet in opened)
    context.close()


def test_an_answer_across_outlets_opens_its_story_in_the_compare_tab(browser: Browser, story_url: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(story_url, wait_until="load")
    page.wait_for_selector("#question textarea")
    reply = ask(page, "Do the outlets agree on whether Karsa and Velmar oppose the dam?")
    assert "All 5 outlets answer this" in reply
    page.get_by_role("tab", name="Compare").click()
    page.wait_for_selector("#story-view table.story")
    assert "oppose" in page.locator("#story-view mark").all_inner_texts()
    context.close()


def test_the_sources_panel_says_what_will_appear_there_before_any_question(browser: Browser, story_url: str) -> None:
    page = open_page(browser, story_url)
    assert "The passages an answer cites are listed here" in page.inner_text("#article-view")
    page.context.close()


def test_the_compare_tab_still_works_after_an_answer_from_one_outlet(browser: Browser, story_url: str) -> None:
    page = open_page(browser, story_url)
    reply = ask(page, "How big a crowd did the lantern festival draw?")
    assert "Coast Herald" in reply and "60,000" in reply
    page.get_by_role("tab", name="Compare").click()
    page.click("#story-pick input")
    page.get_by_role("option").filter(has_text="Coast Herald").first.click()
    page.click("#show-story")
    page.wait_for_selector("#story-view table.story", timeout=15_000)
    assert page.get_by_text("Error", exact=True).count() == 0, "an error badge on the page"
    page.context.close()


def test_with_a_language_model_the_page_shows_verified_prose_and_its_passage(
    browser: Browser, page_engine: Engine
) -> None:
    good, misquoted = GOOD_SENTENCE, MISATTRIBUTED
    with scripted_llm(lambda messages: f"{good} {misquoted}") as (llm_url, _):
        port = free_port()
        app = launch(page_engine, port=port, block=False, llm=LLMSpec.parse(f"openai-like:{llm_url}"))
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
            page.wait_for_selector("#question textarea")
            reply = ask(page, SEED_QUESTION)
            passage = cited_text(page)
            page.click("text=Settings")
            prose_checked = page.locator("#answer-style input[type=radio]").first.is_checked()
            style_labels = page.locator("#answer-style label").all_inner_texts()
        finally:
            context.close()
            app.close()
    assert reply.startswith(good) and "NATO" not in reply
    assert "1 of 2 sentence(s) from the language model failed verification" in reply
    assert passage.startswith("“If Russia does not buy the idea it is dead"), "the citation opens its passage"
    assert any("Prose from the language model" in label for label in style_labels) and not prose_checked
