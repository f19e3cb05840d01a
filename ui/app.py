"""Chat page: ask with follow-ups, read cited answers, inspect speakers, compare, manage the corpus.

The page only arranges what the `Engine` computes; each tab has its own builder (`ask_tab`, `who_tab`,
`compare_tab`, `corpus_tab`). This module puts them together and wires what crosses tabs: a corpus change
refreshes every list of articles, and an answer citing several outlets of one story opens that story.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

from rag import settings
from rag.config import go_offline
from rag.engine import Engine
from ui.render import CSS, article_choices

if TYPE_CHECKING:
    from rag.question.prose import LLMSpec

go_offline()

import gradio as gr  # noqa: E402  (telemetry switches must be set before the import)

from ui.ask_tab import ASK_API_OUTPUTS, PAGE_SCRIPT, PROSE, ask_tab, example_questions, indexed_summary  # noqa: E402
from ui.compare_tab import compare_tab, show_story, story_choices  # noqa: E402
from ui.corpus_tab import READ_ONLY, add_files, article_rows, corpus_tab, remove_article  # noqa: E402
from ui.who_tab import who_message, who_rows, who_tab  # noqa: E402

__all__ = ["ASK_API_OUTPUTS", "CORPUS_API_OUTPUTS", "PROSE", "READ_ONLY", "build", "launch"]
# What `/add` and `/remove` return, in order (the form's fields follow for `/add`).
CORPUS_API_OUTPUTS = (
    "status",
    "articles",
    "remove_choices",
    "who_choices",
    "ask_scope",
    "confirm",
    "compare_scope",
    "outlets_choices",
    "who_table",
    "examples",
    "indexed",
    "story_choices",
    "who_message",
)


def build(engine: Engine, read_only: bool = False, llm: LLMSpec | None = None) -> gr.Blocks:
    initial = engine.articles(settings.PAGE_ARTICLES)
    with gr.Blocks(title="News discourse Q&A") as page:
        gr.Markdown(
            "## Ask the news articles\nAnswers quote the articles verbatim; every claim carries a citation [n]."
        )
        stories_state = gr.State([])  # the story picker's choices, to open an answer's story
        # On a narrow screen the tabs wrap onto a second row instead of hiding behind an unlabelled "⋯".
        with gr.Tabs(overflow_behavior="wrap"):
            ask = ask_tab(engine, llm, initial)
            who = who_tab(engine, initial)
            compare = compare_tab(engine, initial)
            corpus = corpus_tab(read_only, initial)

        def refreshed(message: str) -> dict[Any, Any]:
            """The status and every list of articles on the page, read from the catalog on load and after a change."""
            entries = engine.articles(settings.PAGE_ARTICLES)
            choices, stories = article_choices(entries), story_choices(engine, entries)
            who_listed = who_rows(engine, None, "")
            return {
                corpus.status: message,
                corpus.table: article_rows(entries),
                corpus.remove_id: gr.Dropdown(choices=choices, value=None),
                who.article: gr.Dropdown(choices=choices, value=None),
                ask.scope: gr.Dropdown(choices=choices, value=[]),
                corpus.confirm: gr.Checkbox(value=False),
                compare.scope: gr.Dropdown(choices=choices, value=[]),
                compare.outlets_pick: gr.Dropdown(choices=choices, value=[]),
                who.table: who_listed,
                ask.examples: gr.Radio(choices=example_questions(engine, entries), value=None),
                ask.indexed: indexed_summary(engine, entries),
                compare.story_pick: gr.Dropdown(choices=stories, value=None),
                who.message: who_message(who_listed, ""),
                stories_state: stories,
            }

        def add(files: list[str] | None, title: str, outlet: str, date: str, url: str, progress=gr.Progress()):  # noqa: B008  (Gradio injects progress this way)
            """Index uploads; the form clears after a full success and keeps its values when something failed."""
            if read_only:
                return refreshed(READ_ONLY)
            message, all_added = add_files(engine, files, title, outlet, date, url, progress)
            if not all_added:
                return refreshed(message)
            return refreshed(message) | {corpus.files: None} | dict.fromkeys(corpus.form[1:], "")

        def remove(article_id: str | None, confirmed: bool) -> dict[Any, Any]:
            return refreshed(READ_ONLY if read_only else remove_article(engine, article_id, confirmed))

        def story_of_answer(state: dict, choices: list[tuple[str, str]]) -> dict[Any, Any]:
            """An answer citing several outlets of one story opens that story in the Compare tab."""
            cited = {c["article_id"] for c in state.get("citations", [])}
            chosen = next((value for _, value in choices if len(cited) > 1 and cited <= set(value.split(","))), None)
            if chosen is None:  # an answer from one outlet leaves the Compare tab as it was
                return {compare.story_pick: gr.skip(), compare.story_view: gr.skip()}
            return {compare.story_pick: gr.Dropdown(value=chosen), compare.story_view: show_story(engine, chosen)}

        # What `refreshed` updates, in the order of the API's outputs (CORPUS_API_OUTPUTS).
        lists = [
            corpus.status,
            corpus.table,
            corpus.remove_id,
            who.article,
            ask.scope,
            corpus.confirm,
            compare.scope,
            compare.outlets_pick,
            who.table,
            ask.examples,
            ask.indexed,
            compare.story_pick,
            stories_state,
            who.message,
        ]
        for asked in ask.asked:
            asked.then(
                story_of_answer,
                [ask.answer_state, stories_state],
                [compare.story_pick, compare.story_view],
                api_name=False,
            )
        page.load(lambda: refreshed(""), None, lists, api_name=False)
        # Questions run side by side (the queue's default limit); corpus changes share one slot.
        corpus.add.click(
            add, corpus.form, lists + corpus.form, api_name="add", concurrency_id="corpus", concurrency_limit=1
        )
        corpus.remove.click(
            remove,
            [corpus.remove_id, corpus.confirm],
            lists,
            api_name="remove",
            concurrency_id="corpus",
            concurrency_limit=1,
        )
    return page


def launch(
    engine: Engine,
    host: str = "127.0.0.1",
    port: int = 7860,
    block: bool = True,
    auth: list[tuple[str, str]] | None = None,
    read_only: bool = False,
    llm: LLMSpec | None = None,
) -> gr.Blocks:
    page = build(engine, read_only, llm)
    page.queue(default_concurrency_limit=settings.QUESTION_WORKERS).launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=True,
        css=CSS,
        js=PAGE_SCRIPT,
        show_error=False,
        auth=auth,
    )
    # Only once the page is up: Gradio gives up on a server that does not answer its first check within 3 s.
    threading.Thread(target=_warm_up, args=(engine,), name="warm-up", daemon=True).start()
    if block:
        page.block_thread()
    return page


def _warm_up(engine: Engine) -> None:
    """Load models and indexes before the first question; a failure here surfaces again at that question."""
    try:
        engine.warm_up()
    except Exception as exc:  # the first question reports it in full
        print(f"warm-up failed: {exc}", file=sys.stderr)
