"""The Ask tab: a multi-turn chat whose answers cite passages, and the cited article with the passage marked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag import settings
from rag.engine import NOTHING_INDEXED, Engine
from rag.question.answer import Answer, Citation, QuestionError
from rag.store.catalog import CatalogEntry
from ui.render import article_choices, article_view, citation_choices

if TYPE_CHECKING:
    from rag.question.prose import LLMSpec

GROUNDED = "Excerpts as found"
PROSE = "Prose from the language model (each sentence verified)"
# The cited passage can sit screens down in a long article: bring it into view once it is shown.
SCROLL_TO_HIGHLIGHT = (
    "() => setTimeout(() => document.querySelector('#article-view .cited')"
    "?.scrollIntoView({block: 'center', behavior: 'smooth'}), 100)"
)
# Clicking an [n] in an answer picks citation n, which opens its article at the highlighted passage.
CITATION_CLICKS = """
() => document.addEventListener('click', (event) => {
  if (!event.target.closest('#chat')) return;
  const range = document.caretRangeFromPoint(event.clientX, event.clientY);
  if (!range || range.startContainer.nodeType !== Node.TEXT_NODE) return;
  const text = range.startContainer.textContent, at = range.startOffset;
  for (const mark of text.matchAll(/\\[(\\d+)\\]/g)) {
    if (mark.index <= at && at <= mark.index + mark[0].length) {
      const labels = [...document.querySelectorAll('#citations label')];
      labels.find((label) => label.innerText.trim().startsWith(mark[0]))?.click();
      return;
    }
  }
})
"""
# What the `/ask` API returns, in order (the states are not part of it).
ASK_API_OUTPUTS = ("chat", "question", "citations", "article_view", "passage", "answer_json")


@dataclass
class AskTab:
    chat: gr.Chatbot
    question: gr.Textbox
    examples: gr.Radio
    indexed: gr.Markdown
    scope: gr.Dropdown
    answer_state: gr.State  # the last answer as a dict (`Answer.to_dict`)
    asked_state: gr.State  # the conversation's questions as answered, for follow-ups
    asked: list[Any]  # the events that answer a question (button and Enter), for other tabs to follow


def indexed_summary(engine: Engine, listed: list[CatalogEntry]) -> str:
    if not listed:
        return NOTHING_INDEXED
    summary = engine.summary()
    outlets = summary.outlets
    shown = f"{summary.articles} article(s) indexed from {len(outlets)} outlet(s): {', '.join(outlets[:8])}"
    shown += " …" if len(outlets) > 8 else ""
    return shown + (f"; the page lists the newest {len(listed)}" if summary.articles > len(listed) else "")


def example_questions(engine: Engine, entries: list[CatalogEntry]) -> list[str]:
    """Questions the indexed articles can answer: what their most quoted named speakers said, and sources."""
    if not entries:
        return []
    recent = entries[-settings.EXAMPLE_ARTICLES :]
    rows = [r for e in recent for r in engine.who_said(e.article.id)]
    named = [r for r in sorted(rows, key=lambda r: -r.count) if r.kind in ("named_person", "named_organisation")]
    speakers = list(dict.fromkeys(r.speaker for r in named))
    return [*(f"What did {speaker} say?" for speaker in speakers[:3]), "Which sources does the article rely on?"]


def ask_tab(engine: Engine, llm: LLMSpec | None, initial: list[CatalogEntry]) -> AskTab:
    """Lays out the Ask tab inside the current Blocks and wires its events (`/ask`, `/ask_on_enter`)."""
    with gr.Tab("Ask"), gr.Row():
        answer_state = gr.State({})
        asked_state = gr.State([])
        with gr.Column(scale=3):
            # No copy button here: the chat shows escaped HTML; exact text is copied from the passage box.
            chat = gr.Chatbot(label="Answers", render_markdown=False, height=460, elem_id="chat", buttons=[])
            question = gr.Textbox(label="Question", placeholder="Who told The Times that …?", elem_id="question")
            examples = gr.Radio(choices=[], label="Try a question", elem_id="examples")
            indexed = gr.Markdown(elem_id="indexed")
            with gr.Row():
                send = gr.Button("Ask", variant="primary", elem_id="ask")
                clear = gr.Button("New conversation", elem_id="clear")
            with gr.Accordion("Settings", open=False):
                top_k = gr.Slider(1, 10, value=settings.DEFAULT_TOP_K, step=1, label="Passages to consider")
                style = gr.Radio(
                    [GROUNDED, PROSE],
                    value=PROSE if llm else GROUNDED,
                    label="Answer style",
                    info=f"language model: {llm}" if llm else "no language model configured (RAG_LLM or --llm)",
                    interactive=llm is not None,
                    elem_id="answer-style",
                )
                scope = gr.Dropdown(
                    choices=article_choices(initial),
                    multiselect=True,
                    label="Search only these articles",
                    elem_id="scope",
                )
        with gr.Column(scale=2):
            gr.Markdown("### Sources")
            picker = gr.Radio(choices=[], label="Citations", elem_id="citations")
            passage = gr.Textbox(
                label="Cited passage (exact text)", interactive=False, buttons=["copy"], elem_id="passage"
            )
            view = gr.HTML(elem_id="article-view")
            exact = gr.JSON(visible=False, elem_id="answer-json")

    def show_citation(label: str | None, state: dict) -> tuple[str, str]:
        """The article with the cited passage highlighted (HTML, escaped), and the passage as exact text."""
        if not label or not state:
            return "", ""
        citation = next(Citation(**c) for c in state["citations"] if label.startswith(f"[{c['n']}] "))
        article = engine.article(citation.article_id)
        if article is None:
            return "<p>This article has been removed.</p>", ""
        return article_view(citation, state["attributions"], article.text, article.url), citation.text

    def ask(
        text: str, history: list[dict], top_k: float, scope: list[str] | None, asked: list[str], style: str
    ) -> Iterator[dict[Any, Any]]:
        typed = " ".join(text.split())
        history = [*history, {"role": "user", "content": escape(text)}]
        prose = llm if style == PROSE else None

        def said(answer: Answer) -> str:
            """The answer as the chat shows it: escaped, since the chat renders HTML even with Markdown off."""
            understood = "" if answer.question == typed else f"(understood as: {answer.question})\n"
            return escape(understood + answer.answer)

        def partial(shown: str) -> dict[Any, Any]:
            return {
                chat: [*history, {"role": "assistant", "content": shown}],
                question: "",
                picker: gr.Radio(choices=[], value=None),
                view: "",
                answer_state: {},
                passage: "",
                exact: {},
            }

        try:
            answers = engine.ask_stream(text, int(top_k), scope or None, prose, asked)
            answer = next(answers)
        except QuestionError as exc:
            yield {**partial(escape(f"⚠ {exc}")), exact: {"error": str(exc)}}
            return
        if prose:  # each part of the model's prose appears once it has passed verification
            yield partial(said(answer))
            for answer in answers:  # the last one stays `answer`, shown below with its citations
                yield partial(said(answer))
        else:
            lines = said(answer).splitlines()
            for shown in range(1, len(lines)):
                yield partial("\n".join(lines[:shown]))
        state = answer.to_dict()
        choices = citation_choices(answer)
        first = choices[0] if choices else None
        shown_view, shown_passage = show_citation(first, state)
        yield {
            chat: [*history, {"role": "assistant", "content": said(answer)}],
            question: "",
            picker: gr.Radio(choices=choices, value=first),
            view: shown_view,
            answer_state: state,
            asked_state: [*asked, answer.question],
            passage: shown_passage,
            exact: state,
        }

    def new_conversation() -> dict[Any, Any]:
        """Empty chat, sources panel and follow-up context."""
        return {
            chat: [],
            question: "",
            picker: gr.Radio(choices=[], value=None),
            view: "",
            answer_state: {},
            asked_state: [],
            passage: "",
            exact: {},
        }

    outputs = [chat, question, picker, view, answer_state, asked_state, passage, exact]
    inputs = [question, chat, top_k, scope, asked_state, style]
    asked = [
        send.click(ask, inputs, outputs, api_name="ask"),
        question.submit(ask, inputs, outputs, api_name="ask_on_enter"),
    ]
    clear.click(new_conversation, None, outputs, api_name=False)
    chat.clear(new_conversation, None, outputs, api_name=False)
    picker.change(show_citation, [picker, answer_state], [view, passage], api_name=False).then(
        None, None, None, js=SCROLL_TO_HIGHLIGHT
    )
    examples.input(lambda chosen: chosen or "", examples, question, api_name=False)
    return AskTab(chat, question, examples, indexed, scope, answer_state, asked_state, asked)
