"""Answer time of the chat page, measured in a real browser, and the README screenshot.

.venv/bin/python bench/page.py      # serves the default corpus on a free port; writes
                                    # bench/results/page.json and docs/chat.png
"""

from __future__ import annotations

import json
import socket
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from rag.config import DEFAULT_CORPUS, PROJECT_ROOT, Config
from rag.engine import Engine
from ui.app import launch

QUESTIONS = [
    "Who told The Times that Washington's participation would be necessary?",
    "What did Peskov say?",
    "Did a US official say Europe lacks those capabilities?",
    "Why does Berlin oppose the idea?",
    "Which sources does the article rely on?",
    "What did Russia's Foreign Intelligence Service warn about?",
    "How many peacekeepers did Zelensky demand?",
    "Compare what Peskov and Miroshnik said about peacekeepers.",
    "What did Olaf Scholz say?",
    "Who said the idea is dead if Russia does not buy it?",
]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
RESULTS = PROJECT_ROOT / "bench" / "results" / "page.json"
SCREENSHOT = PROJECT_ROOT / "docs" / "chat.png"


def main() -> None:
    engine = Engine(Config(home=Path(tempfile.mkdtemp(prefix="rag-page-")), corpus_dir=DEFAULT_CORPUS))
    engine.ingest(progress=False)
    engine.ask(QUESTIONS[0])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = launch(engine, port=port, block=False)
    seconds = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
        for question in QUESTIONS:
            page.click("#clear")
            page.wait_for_function("() => document.querySelectorAll('#chat .message').length === 0")
            page.fill("#question textarea", question)
            started = time.perf_counter()
            page.click("#ask")
            page.wait_for_function(
                "() => document.querySelectorAll('#chat .message').length >= 2 && "
                "document.querySelector('#citations') && !document.querySelector('#chat .pending')"
            )
            page.wait_for_function("() => document.querySelector('#question textarea').value === ''")
            seconds.append(time.perf_counter() - started)
        page.click("#clear")
        page.fill("#question textarea", QUESTIONS[0])
        page.click("#ask")
        page.wait_for_selector("#article-view .article-view .cited")
        page.wait_for_timeout(500)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        browser.close()
    app.close()
    figures = {
        "questions": len(seconds),
        "page_answer_ms_median": round(1000 * statistics.median(seconds), 1),
        "page_answer_ms_max": round(1000 * max(seconds), 1),
    }
    print(json.dumps(figures, indent=2))
    RESULTS.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
