"""The Compare tab: actors' positions side by side, two or more articles compared, a story's claims by outlet."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from rag.engine import Engine
from rag.store.catalog import CatalogEntry
from ui.render import actor_table_html, article_choices, articles_comparison_html, story_html


@dataclass
class CompareTab:
    scope: gr.Dropdown
    outlets_pick: gr.Dropdown
    story_pick: gr.Dropdown
    story_view: gr.HTML


def story_choices(engine: Engine, entries: list[CatalogEntry]) -> list[tuple[str, str]]:
    """Stories of two or more articles: "outlet · outlet · … (date)" -> their ids joined by commas."""
    by_id = {e.article.id: e.article for e in entries}
    groups = [g for g in engine.stories(list(by_id)) if len(g) > 1]
    return [
        (" · ".join(by_id[i].outlet for i in group) + f" ({by_id[group[0]].date})", ",".join(group)) for group in groups
    ]


def show_story(engine: Engine, chosen: str | None) -> str:
    if not chosen:
        return "<p>Choose a story.</p>"
    return story_html(engine.story_matrix(chosen.split(",")))


def compare_tab(engine: Engine, initial: list[CatalogEntry]) -> CompareTab:
    """Lays out the tab inside the current Blocks and wires `/compare`, `/compare_articles` and `/story`."""
    with gr.Tab("Compare"):
        gr.Markdown("Actors' positions side by side, and how several articles report one story.")
        with gr.Row():
            topic = gr.Textbox(label="Topic (optional)", elem_id="compare-topic")
            scope = gr.Dropdown(
                choices=article_choices(initial),
                multiselect=True,
                label="Articles (default: all)",
                elem_id="compare-scope",
            )
        actors_button = gr.Button("Compare actors", elem_id="compare-actors")
        actors_view = gr.HTML(elem_id="actors-view")
        with gr.Row():
            outlets_pick = gr.Dropdown(
                choices=article_choices(initial),
                multiselect=True,
                label="Articles on one story",
                elem_id="outlets-pick",
            )
            outlets_button = gr.Button("Compare articles", elem_id="compare-outlets")
        outlets_view = gr.HTML(elem_id="outlets-view")
        with gr.Row():
            story_pick = gr.Dropdown(choices=[], label="A story's claims, outlet by outlet", elem_id="story-pick")
            story_button = gr.Button("Show claims by outlet", elem_id="show-story")
        story_view = gr.HTML(elem_id="story-view")

    def compare_actors(text: str, chosen: list[str] | None) -> str:
        rows = engine.actor_table(text.strip() or None, chosen or None)
        return actor_table_html([row.to_dict() for row in rows])

    def compare_outlets(ids: list[str] | None) -> str:
        if not ids or len(ids) < 2:
            return "<p>Choose two or more articles.</p>"
        return articles_comparison_html(engine.compare_articles(ids))

    actors_button.click(compare_actors, [topic, scope], actors_view, api_name="compare")
    outlets_button.click(compare_outlets, [outlets_pick], outlets_view, api_name="compare_articles")
    story_button.click(lambda chosen: show_story(engine, chosen), [story_pick], story_view, api_name="story")
    return CompareTab(scope, outlets_pick, story_pick, story_view)
