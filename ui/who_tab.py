"""The "Who said what" tab: every speaker of an article (or of the listed articles) with what each said."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import gradio as gr

from rag import settings
from rag.engine import Engine
from rag.store.catalog import CatalogEntry
from ui.render import article_choices

WHO_HEADERS = ["article", "speaker", "kind", "count", "cues", "what they said"]


@dataclass
class WhoTab:
    article: gr.Dropdown
    table: gr.Dataframe
    message: gr.HTML


def who_rows(engine: Engine, article_id: str | None, needle: str) -> list[list[Any]]:
    """Speakers of the chosen article; otherwise of the articles the page lists and, with a filter, of the
    articles anywhere in the corpus whose speaker phrases have its words. Each statement starts with "•"."""
    rows = engine.who_said(article_id or None, needle or "", newest=settings.PAGE_ARTICLES)
    articles = {a: engine.article(a) for a in {r.article_id for r in rows}}
    return [
        [
            f"{articles[r.article_id].outlet} · {articles[r.article_id].date}",
            r.as_written,
            r.kind.replace("_", " "),
            r.count,
            ", ".join(dict.fromkeys(r.cues)),
            "\n".join(f"• {content}" for content in r.contents),
        ]
        for r in rows
        if articles[r.article_id] is not None
    ]


def who_message(rows: list[list[Any]], needle: str) -> str:
    """Why the table is empty, as escaped HTML; nothing when it is not."""
    if rows:
        return ""
    if needle.strip():
        return f"<p>No speaker or statement matches “{escape(needle.strip())}”.</p>"
    return "<p>No attributions found in these articles.</p>"


def who_tab(engine: Engine, initial: list[CatalogEntry]) -> WhoTab:
    """Lays out the tab inside the current Blocks and wires its filter (`/who`)."""
    with gr.Tab("Who said what"):
        with gr.Row():
            article = gr.Dropdown(choices=article_choices(initial), label="Article", elem_id="who-article")
            needle = gr.Textbox(label="Filter speakers or statements", elem_id="who-filter")
        message = gr.HTML(elem_id="who-message")
        table = gr.Dataframe(
            headers=WHO_HEADERS,
            datatype=["str"] * 6,
            value=who_rows(engine, None, ""),
            interactive=False,
            elem_id="who-table",
            wrap=True,
            column_widths=["14%", "18%", "9%", "6%", "10%", "43%"],
        )

    def shown(article_id: str | None, text: str) -> dict[Any, Any]:
        rows = who_rows(engine, article_id, text)
        return {table: rows, message: who_message(rows, text or "")}

    article.change(shown, [article, needle], [table, message], api_name=False)
    needle.change(shown, [article, needle], [table, message], api_name="who")
    return WhoTab(article, table, message)
