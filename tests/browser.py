"""Helpers for the tests that drive the real page in Debian's Chromium with Playwright."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Browser, Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def open_page(browser: Browser, url: str, width: int = 1400, height: int = 1000, phone: bool = False) -> Page:
    """A new page at `url` that records every request off the page's own server (`page.outside_requests`) and
    every dialog (`page.dialogs`)."""
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.outside_requests = []
    page.dialogs = []
    local = (url, "data:", "blob:")
    page.on("request", lambda r: None if r.url.startswith(local) else page.outside_requests.append(r.url))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url, wait_until="load")
    page.wait_for_selector("#question textarea")
    return page


def ask(page: Page, question: str) -> str:
    before = page.locator("#chat .message").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .message').length >= n + 2", arg=before, timeout=30_000
    )
    page.wait_for_function("() => !document.querySelector('#chat .pending, #chat .generating')", timeout=30_000)
    page.wait_for_timeout(300)
    return page.locator("#chat .message").last.inner_text()


CITED_TEXT = "() => [...document.querySelectorAll('#article-view .article-view .cited')].map(e => e.innerText).join('')"


def cited_text(page: Page) -> str:
    page.wait_for_selector("#article-view .article-view .cited")
    return page.evaluate(CITED_TEXT)


def corpus_status(page: Page, expected: str) -> str:
    page.wait_for_function(
        "t => document.querySelector('#corpus-status textarea').value.includes(t)", arg=expected, timeout=60_000
    )
    return page.input_value("#corpus-status textarea")


def articles_table(page: Page) -> str:
    """The corpus table's text once no update of it is pending (a pending one shows a timer over it)."""
    page.wait_for_function("() => !document.querySelector('#articles.pending, #articles .pending')", timeout=60_000)
    return page.inner_text("#articles")


def upload(page: Page, path: Path, **meta: str) -> None:
    page.get_by_role("tab", name="Corpus").click()
    page.set_input_files("#upload input[type=file]", str(path))
    page.wait_for_function("n => document.querySelector('#upload').innerText.includes(n)", arg=path.stem)
    for field, value in meta.items():
        page.fill(f"#meta-{field} textarea, #meta-{field} input", value)
    page.click("#add")


def remove(page: Page, title: str, article_id: str) -> str:
    page.get_by_role("tab", name="Corpus").click()
    page.click("#remove-id input")
    page.get_by_role("option").filter(has_text=title).first.click()
    page.check("#remove-confirm input")
    page.click("#remove")
    return corpus_status(page, article_id)
