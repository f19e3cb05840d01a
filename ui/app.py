"""Chat page: ask, read the answer, expand each citation to see its span highlighted in the article."""

from __future__ import annotations

from typing import Any

from rag.answer import QuestionError
from rag.config import go_offline
from rag.engine import Engine
from ui.render import sources_html

go_offline()

import gradio as gr  # noqa: E402  (telemetry switches must be set before the import)

CSS = """
.citation mark { background: #fde68a; padding: 0 2px; }
.citation .article { white-space: pre-wrap; line-height: 1.5; }
"""


def build(engine: Engine) -> gr.Blocks:
    def ask(question: str, history: list[dict[str, Any]], top_k: int) -> tuple[list, str, str]:
        history = [*history, {"role": "user", "content": question}]
        try:
            answer = engine.ask(question, int(top_k))
        except QuestionError as exc:
            history.append({"role": "assistant", "content": f"⚠ {exc}"})
            return history, "", ""
        texts = engine.catalog.texts({c.article_id for c in answer.citations})
        history.append({"role": "assistant", "content": answer.answer})
        return history, "", sources_html(answer, texts)

    with gr.Blocks(title="News discourse Q&A") as page:
        gr.Markdown(
            "## Ask the news articles\nEvery answer quotes the articles verbatim; expand a source to see it in context."
        )
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Answers", render_markdown=False, height=420)
                question = gr.Textbox(label="Question", placeholder="Who told The Times that …?", max_lines=4)
                with gr.Row():
                    send = gr.Button("Ask", variant="primary")
                    top_k = gr.Slider(1, 10, value=5, step=1, label="Passages to consider")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(elem_id="sources")
        send.click(ask, [question, chat, top_k], [chat, question, sources], api_name="ask")
        question.submit(ask, [question, chat, top_k], [chat, question, sources], api_name="ask_on_enter")
    return page


def launch(engine: Engine, host: str = "127.0.0.1", port: int = 7860, block: bool = True) -> gr.Blocks:
    page = build(engine)
    page.launch(server_name=host, server_port=port, prevent_thread_lock=not block, css=CSS, show_error=False)
    return page
