"""The Corpus tab: upload articles (with the metadata plain text needs), list them, remove one.

Its changes refresh every list on the page, so `ui.app` wires its buttons; this module lays the tab out and
turns an upload or a removal into a status message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from rag.engine import Engine
from rag.ingest.articles import CorpusError, new_article, parse_article, read_text, slugify
from rag.store.catalog import CatalogEntry
from rag.store.guard import DiskFull
from ui.render import article_choices

ARTICLE_HEADERS = ["id", "date", "outlet", "title", "units"]
META_LABELS = ("headline", "outlet", "date")
READ_ONLY = "Corpus changes are turned off on this server."


@dataclass
class CorpusTab:
    files: gr.File
    title: gr.Textbox
    outlet: gr.Textbox
    date: gr.Textbox
    url: gr.Textbox
    add: gr.Button
    status: gr.Textbox
    table: gr.Dataframe
    remove_id: gr.Dropdown
    confirm: gr.Checkbox
    remove: gr.Button

    @property
    def form(self) -> list[Any]:
        return [self.files, self.title, self.outlet, self.date, self.url]


def article_rows(entries: list[CatalogEntry]) -> list[list[Any]]:
    return [[e.article.id, e.article.date, e.article.outlet, e.article.title, e.n_units] for e in entries]


def problem(error: str) -> str:
    """An ingest error without the server path it starts with ("PATH: problem")."""
    return error.split(": ", 1)[-1]


def corpus_tab(read_only: bool, initial: list[CatalogEntry]) -> CorpusTab:
    with gr.Tab("Corpus"), gr.Row():
        with gr.Column():
            files = gr.File(
                label="Article files (.txt or .md)", file_count="multiple", file_types=[".txt", ".md"], elem_id="upload"
            )
            gr.Markdown("Plain-text files need their metadata here; files with front matter carry their own.")
            title = gr.Textbox(label="Headline", elem_id="meta-title")
            outlet = gr.Textbox(label="Outlet", elem_id="meta-outlet")
            date = gr.Textbox(label="Date (YYYY-MM-DD)", elem_id="meta-date")
            url = gr.Textbox(label="URL (optional)", elem_id="meta-url")
            add = gr.Button("Add to corpus", variant="primary", elem_id="add", interactive=not read_only)
        with gr.Column():
            status = gr.Textbox(label="Status", interactive=False, lines=4, elem_id="corpus-status")
            table = gr.Dataframe(
                headers=ARTICLE_HEADERS,
                datatype=["str", "str", "str", "str", "number"],
                value=article_rows(initial),
                interactive=False,
                elem_id="articles",
                wrap=True,
                column_widths=["30%", "12%", "18%", "32%", "8%"],
            )
            remove_id = gr.Dropdown(
                choices=article_choices(initial),
                label="Article to remove",
                elem_id="remove-id",
                allow_custom_value=True,  # an article another client added since this page listed them
            )
            confirm = gr.Checkbox(label="confirm removal", elem_id="remove-confirm")
            remove = gr.Button("Remove", variant="stop", elem_id="remove", interactive=not read_only)
    return CorpusTab(files, title, outlet, date, url, add, status, table, remove_id, confirm, remove)


def add_files(
    engine: Engine, files: list[str] | None, title: str, outlet: str, date: str, url: str, progress: gr.Progress
) -> tuple[str, bool]:
    """Index uploads: the status message, and whether every file went in."""
    if not files:
        return "Choose one or more .txt or .md files first.", False
    messages, failed = [], False
    for i, name in enumerate(files):
        path = Path(name)
        progress((i, len(files)), desc=f"indexing {path.name}")
        try:
            text = read_text(path)
            if text.startswith("---"):
                article = parse_article(text, path.name, default_id=slugify(path.stem, 128))
            else:
                given = (title, outlet, date)
                missing = [label for label, value in zip(META_LABELS, given, strict=True) if not value.strip()]
                if missing:
                    raise CorpusError(path.name, f"plain text needs {', '.join(missing)} in the form")
                article = new_article(text, title=title, outlet=outlet, date=date, url=url, source=path.name)
            _, report = engine.add(article)
            failed |= bool(report.errors)
            messages += [f"{path.name}: {report.summary()}", *(f"{path.name}: {problem(e)}" for e in report.errors)]
        except CorpusError as exc:
            failed = True
            messages.append(f"{path.name}: {exc.problem}")
        except DiskFull as exc:
            return "\n".join([*messages, f"{path.name}: not added: {exc}"]), False
    return "\n".join(messages), not failed


def remove_article(engine: Engine, article_id: str | None, confirmed: bool) -> str:
    if not article_id:
        return "Choose an article to remove."
    if not confirmed:
        return f"Tick 'confirm removal' to remove {article_id}."
    try:
        removed = engine.remove(article_id)
    except DiskFull as exc:
        return f"{article_id} not removed: {exc}"
    return f"Removed {article_id}." if removed else f"{article_id} was not indexed."
