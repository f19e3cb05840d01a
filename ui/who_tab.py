"""The "Who said what" tab: every speaker of an article (or of the listed articles) with what each said."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag import settings
from rag.engine import Engine
from rag.store.catalog import CatalogEntry
from ui.render import article_choices

WHO_HEADERS = ["speaker", "kind", "count", "cues", "what they said"]


@dataclass
class WhoTab:
    article: gr.Dropdown
    table: gr.Dataframe


def who_rows(engine: Engine, article_id: str | None, needle: str) -> list[list[Any]]:
    """Speakers of the chosen article; otherwise of the articles the page lists and, with a filter, of the
    articles anywhere in the corpus whose speaker phrases have its words."""
    rows = engine.who_said(article_id or None, needle or "", newest=settings.PAGE_ARTICLES)
    return [
        [r.speaker, r.kind.replace("_", " "), r.count, ", ".join(dict.fromkeys(r.cues)), "\n".join(r.contents)]
        for r in rows
    ]


def who_tab(engine: Engine, initial: list[CatalogEntry]) -> WhoTab:
    """Lays out the tab inside the current Blocks and wires its filter (`/who`)."""
    with gr.Tab("Who said what"):
        with gr.Row():
            article = gr.Dropdown(choices=article_choices(initial), label="Article", elem_id="who-article")
            needle = gr.Textbox(label="Filter speakers or statements", elem_id="who-filter")
        table = gr.Dataframe(
            headers=WHO_HEADERS,
            datatype=["str"] * 5,
            value=who_rows(engine, None, ""),
            interactive=False,
            elem_id="who-table",
            wrap=True,
            column_widths=["20%", "10%", "6%", "12%", "52%"],
        )

    def shown(article_id: str | None, text: str) -> list[list[Any]]:
        return who_rows(engine, article_id, text)

    article.change(shown, [article, needle], table, api_name=False)
    needle.change(shown, [article, needle], table, api_name="who")
    return WhoTab(article, table)
