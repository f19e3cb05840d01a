"""The page as a reader uses it, in Chromium at desktop (1280 x 900) and phone (390 x 844) sizes: metadata that
would fetch from outside, the jump to a cited passage, follow-ups, the tables, and what the Ask tab shows."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from rag.engine import Engine
from tests.browser import ask, open_page
from tests.conftest import SEED_ARTICLE, free_port, make_engine
from ui.app import launch

pytestmark = pytest.mark.browser

BEACON = "http://beacon.example.invalid"
BEACON_ARTICLE = """---
id: {id}
title: "<img src={beacon}/title.png> Pier plan <h1>approved</h1> ![t]({beacon}/title-md.png)"
outlet: "<img src={beacon}/outlet.png> {outlet} ![m]({beacon}/outlet-md.png) <a href={beacon}/a>link</a>"
outlet_group: "<img src={beacon}/group.png> wire"
date: {date}
url: {beacon}/story
---
The Port Elm council approved a new pier on Monday after a {debate} debate.

Harbour Minister Ana Ruiz said "<img src={beacon}/quote.png> the pier will open in June".

Fishermen in Port Elm are concerned that the pier would block the harbour, a union leader told reporters.
"""
# Where the page shows an answer's highlighted passage (not the legend's sample chip), and whether all of it
# (every highlighted piece) is within the window.
PASSAGE = "#article-view .article-view .cited"
IN_VIEWPORT = """selector => {
  const boxes = [...document.querySelectorAll(selector)].map(e => e.getBoundingClientRect());
  return boxes.length > 0 && boxes.every(b => b.height > 0 && b.top >= 0 && b.bottom <= window.innerHeight); }"""
# The passage is also inside the article view's own visible area, when that scrolls.
IN_ITS_BOX = """selector => { const el = document.querySelector(selector);
  let box = el.parentElement;
  while (box && box !== document.body && getComputedStyle(box).overflowY !== 'auto') box = box.parentElement;
  if (!box || box === document.body) return true;
  const a = el.getBoundingClientRect(), b = box.getBoundingClientRect();
  return a.top >= b.top && a.bottom <= b.bottom; }"""


@pytest.fixture(scope="module")
def reader_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    corpus = tmp_path_factory.mktemp("reader-corpus")
    shutil.copy(SEED_ARTICLE, corpus)
    for path in Path("eval/fixtures/dunmere").glob("*.md"):
        if path.name != "README.md":
            shutil.copy(path, corpus)
    for article_id, outlet, date, debate in (
        ("beacon-post-pier", "Beacon Post", "2025-06-02", "long"),
        ("beacon-daily-pier", "Beacon Daily", "2025-06-03", "short"),
    ):
        text = BEACON_ARTICLE.format(id=article_id, outlet=outlet, date=date, debate=debate, beacon=BEACON)
        (corpus / f"{article_id}.md").write_text(text, encoding="utf-8")
    engine = make_engine(tmp_path_factory.mktemp("reader-home"), corpus)
    assert not engine.ingest(progress=False).errors
    port = free_port()
    app = launch(engine, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


@pytest.fixture
def desktop(browser: Browser, reader_url: str) -> Iterator[Page]:
    page = open_page(browser, reader_url, 1280, 900)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser: Browser, reader_url: str) -> Iterator[Page]:
    page = open_page(browser, reader_url, 390, 844, phone=True)
    yield page
    page.context.close()


def pick(page: Page, dropdown: str, *texts: str) -> None:
    page.click(f"{dropdown} input")
    for text in texts:
        page.get_by_role("option").filter(has_text=text).first.click()
    page.keyboard.press("Escape")


def test_metadata_never_makes_the_page_fetch_from_outside(desktop: Page) -> None:
    page = desktop
    page.wait_for_function("() => document.querySelector('#indexed').innerText.includes('indexed')")
    assert f"<img src={BEACON}/outlet.png> Beacon Post" in page.inner_text("#indexed"), "shown as text"
    page.click("text=Settings")
    page.click("#scope input")
    page.keyboard.press("Escape")
    ask(page, "What did Harbour Minister Ana Ruiz say?")
    page.wait_for_selector(PASSAGE)
    page.get_by_role("tab", name="Who said what").click()
    page.wait_for_function("() => document.querySelector('#who-table').innerText.includes('Ana Ruiz')")
    pick(page, "#who-article", "Pier plan")
    page.get_by_role("tab", name="Compare").click()
    page.click("#compare-actors")
    page.wait_for_selector("#actors-view table.compare")
    pick(page, "#outlets-pick", "Beacon Post", "Beacon Daily")
    page.click("#compare-outlets")
    page.wait_for_selector("#outlets-view table, #outlets-view h4, #outlets-view p")
    pick(page, "#story-pick", "Beacon")
    page.click("#show-story")
    page.wait_for_selector("#story-view table.story")
    page.get_by_role("tab", name="Corpus").click()
    page.click("#remove-id input")
    page.keyboard.press("Escape")
    page.wait_for_timeout(500)
    assert page.outside_requests == [], "metadata made the browser fetch from outside"
    planted = "img[src*='beacon'], a[href^='http://beacon.example.invalid/a'], h1"
    assert page.locator(planted).count() == 0, "metadata markup was rendered"


def test_an_answer_shows_its_passage_in_view_on_a_desktop(desktop: Page) -> None:
    page = desktop
    ask(page, "What did Kremlin spokesman Dmitry Peskov say?")  # a passage far down the seed article
    page.wait_for_function(IN_VIEWPORT, arg=PASSAGE, timeout=5_000)
    assert page.evaluate(IN_ITS_BOX, PASSAGE)
    mark = page.locator("#chat .cite-mark").last
    assert mark.inner_text() == "[1]" and mark.evaluate("e => getComputedStyle(e).cursor") == "pointer"
    page.evaluate("() => { window.scrollTo(0, document.body.scrollHeight); }")
    page.evaluate(
        "s => { const el = document.querySelector(s); let b = el.parentElement;"
        " while (b && b !== document.body) { b.scrollTop = 0; b = b.parentElement; } }",
        PASSAGE,
    )
    mark.scroll_into_view_if_needed()
    mark.click()  # [1] is already the chosen citation: the click still brings its passage into view
    page.wait_for_function(IN_VIEWPORT, arg=PASSAGE, timeout=5_000)
    assert page.evaluate(IN_ITS_BOX, PASSAGE)


def test_on_a_phone_asking_keeps_the_answer_in_view_and_a_mark_opens_the_passage(phone: Page) -> None:
    page = phone
    ask(page, "What did Kremlin spokesman Dmitry Peskov say?")
    page.wait_for_timeout(800)  # any scrolling the answer starts has finished
    answer = page.locator("#chat .bot").last
    box = answer.bounding_box()
    assert box is not None and box["y"] < 844 and box["y"] + box["height"] > 0, "the answer scrolled away"
    label = page.locator("#chat label, #chat [data-testid='block-label']").filter(visible=True)
    first = page.locator("#chat .message").first.bounding_box()
    for i in range(label.count()):
        covering = label.nth(i).bounding_box()
        assert covering["y"] + covering["height"] <= first["y"] or covering["y"] >= first["y"] + first["height"]
    page.locator("#chat .cite-mark").last.tap()
    page.wait_for_function(IN_VIEWPORT, arg=PASSAGE, timeout=5_000)


# The top of the last message is inside the chat box as scrolled, and on the screen.
FIRST_LINE_SHOWN = """() => {
  const messages = document.querySelectorAll('#chat .message');
  const top = messages[messages.length - 1].getBoundingClientRect().top;
  const box = document.querySelector('#chat .bubble-wrap').getBoundingClientRect();
  return top >= box.top - 2 && top < box.bottom - 20 && top >= -2 && top < window.innerHeight - 20;
}"""


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_after_a_long_answer_its_first_line_is_in_view(size: str, request: pytest.FixtureRequest) -> None:
    page = request.getfixturevalue(size)
    reply = ask(page, "Do the outlets agree on whether Karsa and Velmar oppose the dam?")
    assert reply.startswith("All 5 outlets answer this") and len(reply) > 1500, "not a long answer"
    page.wait_for_function(FIRST_LINE_SHOWN, timeout=5_000)


# The widths of the visible cells of a table (or of its cards), and of the widest word each holds.
CELL_WIDTHS = """s => [...document.querySelectorAll(['td', 'th', '[role=gridcell]'].map(c => s + ' ' + c).join(', '))]
  .filter(c => c.offsetWidth > 0).map(c => {
  const words = c.innerText.split(/[^\\p{L}\\p{N}'’-]+/u).filter(w => w.length > 2);
  const probe = document.createElement('span');
  probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap';
  probe.style.font = getComputedStyle(c).font;
  document.body.appendChild(probe);
  const widest = Math.max(0, ...words.map(w => { probe.textContent = w; return probe.offsetWidth; }));
  probe.remove();
  return [c.clientWidth, widest];
})"""


def test_on_a_phone_the_story_matrix_reads_as_cards_with_no_word_cut(phone: Page) -> None:
    page = phone
    page.get_by_role("tab", name="Compare").tap()
    pick(page, "#story-pick", "Coast Herald")
    page.click("#show-story")
    page.wait_for_selector("#story-view table.story")
    cells = page.evaluate(CELL_WIDTHS, "#story-view table.story")
    assert cells and all(width >= max(200, widest) for width, widest in cells), cells
    assert page.locator("#story-view td.carries").first.evaluate("e => getComputedStyle(e, '::before').content")
    height = page.locator("#story-view").bounding_box()["height"]
    assert height < 6 * 844, f"the matrix is {height:.0f} px tall"


def test_on_a_phone_no_column_of_the_speaker_table_is_narrower_than_its_words(phone: Page) -> None:
    page = phone
    page.get_by_role("tab", name="Who said what").tap()
    page.wait_for_selector("#who-table thead th")
    headers = page.evaluate(CELL_WIDTHS, "#who-table thead")
    assert len(headers) == 6 and all(width >= widest for width, widest in headers), headers
    page.wait_for_selector("#who-table [role=gridcell]")
    cells = page.evaluate(CELL_WIDTHS, "#who-table .virtual-body")
    assert len(cells) >= 6 and all(width >= widest for width, widest in cells), [c for c in cells if c[0] < c[1]]


def test_follow_ups_keep_the_previous_question_and_change_one_slot(desktop: Page) -> None:
    ask(desktop, "How many residents would have to be moved, according to the Coast Herald?")
    reply = ask(desktop, "And Karsa Today?")
    assert "(understood as: How many residents would have to be moved, according to Karsa Today?)" in reply
    assert "no word to look for" not in reply
    ask(desktop, "What is Germany's position on sending troops?")
    reply = ask(desktop, "And France?")
    assert "(understood as: What is France's position on sending troops?)" in reply


def headers_in_view(page: Page, table: str) -> list[str]:
    """The table's column headers whose cells lie within the table's visible width."""
    return page.evaluate(
        """t => { const box = document.querySelector(t).getBoundingClientRect();
        return [...document.querySelectorAll(t + ' thead th')].filter(th => {
          const b = th.getBoundingClientRect(); return b.width > 0 && b.left >= box.left && b.right <= box.right + 1;
        }).map(th => th.innerText.trim()); }""",
        table,
    )


def test_tables_show_every_column_separate_statements_and_say_when_nothing_matches(desktop: Page) -> None:
    page = desktop
    page.get_by_role("tab", name="Corpus").click()
    page.wait_for_function("() => document.querySelector('#articles').innerText.includes('beacon-post-pier')")
    assert {"id", "date", "outlet", "title", "units"} <= set(headers_in_view(page, "#articles"))
    page.get_by_role("tab", name="Who said what").click()
    page.wait_for_function("() => document.querySelector('#who-table').innerText.includes('Ana Ruiz')")
    assert "article" in headers_in_view(page, "#who-table")
    page.fill("#who-filter textarea", "Ilir Dado")
    page.wait_for_function("() => !document.querySelector('#who-table').innerText.includes('Ana Ruiz')")
    assert "•" in page.inner_text("#who-table"), "several statements of one speaker are set apart"
    page.fill("#who-filter textarea", "residents")
    page.wait_for_function("() => document.querySelector('#who-table').innerText.includes('residents')")
    rows = page.locator("#who-table [role=row]").all_inner_texts()
    government = next(row for row in rows if "how many residents" in row)
    assert "has not said" in government, "the negation stays with the statement"
    page.fill("#who-filter textarea", "zeppelin")
    page.wait_for_function("() => document.querySelector('#who-message').innerText.includes('zeppelin')")
    assert "No speaker or statement" in page.inner_text("#who-message")


def test_the_ask_tab_reads_well(desktop: Page) -> None:
    page = desktop
    box = page.locator("#ask").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 900, "the Ask button is below the fold"
    page.wait_for_function("() => document.querySelectorAll('#examples label').length > 1")
    examples = page.locator("#examples label").all_inner_texts()
    assert not any(re.search(r"\bdid The [A-Z]\w* [a-z]", example) for example in examples), examples
    assert not any(example == "Which sources does the article rely on?" for example in examples), examples
    assert any(re.fullmatch(r"Which sources does .+ rely on\?", example) for example in examples), examples
    reply = ask(page, "Do the outlets agree on when the dam would supply power?")
    assert reply.startswith("All 5 outlets answer this") and "all of them" not in reply


def test_example_questions_name_a_government_in_lower_case(engine_for_examples: Engine) -> None:
    from ui.ask_tab import example_questions

    questions = example_questions(engine_for_examples, engine_for_examples.articles())
    assert "What did the Ostrian government say?" in questions, questions


@pytest.fixture(scope="module")
def engine_for_examples(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(tmp_path_factory.mktemp("examples-home"), Path("eval/fixtures/dunmere"))
    engine.ingest(progress=False)
    return engine
