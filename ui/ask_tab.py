"""The Ask tab: a multi-turn chat whose answers cite passages, and the cited article with the passage marked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag import settings
from rag.engine import NOTHING_INDEXED, Engine, StoreUnavailable
from rag.question.answer import CITATION_MARK, Answer, Citation, QuestionError
from rag.store.catalog import CatalogEntry
from rag.store.guard import DiskFull
from ui.render import article_choices, article_view, citation_choices

if TYPE_CHECKING:
    from rag.index.who_said_what import SpeakerRow
    from rag.question.prose import LLMSpec

GROUNDED = "Excerpts as found"
EXAMPLE_SPEAKER_WORDS = 6  # a longer speaker phrase makes a clumsy example question
PROSE = "Prose from the language model (each sentence verified)"
# The cited passage can sit screens down in a long article, which scrolls in its own box. When a citation is
# shown, the box scrolls to the passage. The page scrolls to it when the reader chose the citation (a click on
# a citation or on an [n] in the answer), or, for a new answer, only as far as needed and only where the
# article sits beside the chat: on a phone it sits below, and the answer must stay in view. Clicking the [n]
# of the citation already shown brings its passage back into view.
PAGE_SCRIPT = """
() => {
  window.ragShowPassage = (chosen) => {
    const pieces = document.querySelectorAll('#article-view .article-view .cited');
    if (!pieces.length) return;
    const [passage, end] = [pieces[0], pieces[pieces.length - 1]];
    const box = passage.closest('.article-view');
    box.scrollTop = passage.offsetTop - box.clientHeight / 3;
    const chat = document.querySelector('#chat').getBoundingClientRect();
    if (chosen) passage.scrollIntoView({block: 'center'});
    else if (box.getBoundingClientRect().left >= chat.right) {
      end.scrollIntoView({block: 'nearest'});
      passage.scrollIntoView({block: 'nearest'});
    }
  };
  document.addEventListener('click', (event) => {
    const mark = event.target.closest('#chat .cite-mark');
    if (!mark) return;
    const labels = [...document.querySelectorAll('#citations label')];
    const label = labels.find((l) => l.innerText.trim().startsWith(mark.innerText.trim() + ' '));
    if (!label) return;
    window.ragMovePage = true;
    if (label.querySelector('input')?.checked) window.ragShowPassage(true);
    else label.click();
  });
}
"""
SHOW_PASSAGE = (
    "() => setTimeout(() => { window.ragShowPassage?.(window.ragMovePage); window.ragMovePage = false; }, 50)"
)
CHOSEN_BY_READER = "() => { window.ragMovePage = true; }"
# A new answer opens at its first line (the answer phrase), in the chat box and on the page: the chat does not
# follow the answer to its end (`autoscroll=False`); once it is complete, the box scrolls to its start, and the
# page only as far as needed to show the box. The chat renders after the event ends, at a pace that depends on
# the machine, so the scroll is repeated every 100 ms until the last message stays the same size (at most 3 s).
SHOW_ANSWER_START = """
() => {
  let seen = '', tries = 0;
  const show = () => {
    const messages = document.querySelectorAll('#chat .message');
    const last = messages[messages.length - 1];
    if (!last) return;
    const box = last.closest('.bubble-wrap');
    if (box) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top;
    const chat = document.querySelector('#chat');
    const shown = chat.getBoundingClientRect();
    if (shown.top < 0 || shown.bottom > window.innerHeight) chat.scrollIntoView({block: 'nearest'});
    const now = messages.length + ':' + last.getBoundingClientRect().height;
    if (now !== seen && ++tries < 30) { seen = now; setTimeout(show, 100); }
  };
  setTimeout(show, 100);
}
"""
# What the Sources panel says while no citation is shown.
SOURCES_HINT = (
    '<p class="sources-hint">The passages an answer cites are listed here; choose one, or click an [n] in the '
    "answer, to see it highlighted in its article.</p>"
)
# What the `/ask` API returns, in order (the states are not part of it).
ASK_API_OUTPUTS = ("chat", "question", "citations", "article_view", "passage", "answer_json")


@dataclass
class AskTab:
    chat: gr.Chatbot
    question: gr.Textbox
    examples: gr.Radio
    indexed: gr.HTML
    scope: gr.Dropdown
    answer_state: gr.State  # the last answer as a dict (`Answer.to_dict`)
    asked_state: gr.State  # the conversation's questions as answered, for follow-ups
    asked: list[Any]  # the events that answer a question (button and Enter), for other tabs to follow


def indexed_summary(engine: Engine, listed: list[CatalogEntry]) -> str:
    """What is indexed, as escaped HTML: outlet names come from the articles' metadata."""
    if not listed:
        return escape(NOTHING_INDEXED)
    summary = engine.summary()
    outlets = summary.outlets
    shown = f"{summary.articles} article(s) indexed from {len(outlets)} outlet(s): {', '.join(outlets[:8])}"
    shown += " …" if len(outlets) > 8 else ""
    shown += f"; the page lists the newest {len(listed)}" if summary.articles > len(listed) else ""
    return f"<p>{escape(shown)}</p>"


def _speakers_of(engine: Engine, article_id: str) -> list[SpeakerRow]:
    """The article's speakers; none when it was removed after the list was read (an upload or a removal
    of another client)."""
    try:
        return engine.who_said(article_id)
    except QuestionError:
        return []


def example_questions(engine: Engine, entries: list[CatalogEntry]) -> list[str]:
    """Questions the indexed articles can answer: what their most quoted named speakers said, and sources."""
    if not entries:
        return []
    recent = entries[-settings.EXAMPLE_ARTICLES :]
    rows = [r for e in recent for r in _speakers_of(engine, e.article.id)]
    named = [
        r
        for r in sorted(rows, key=lambda r: -r.count)
        if r.kind in ("named_person", "named_organisation") and len(r.speaker.split()) <= EXAMPLE_SPEAKER_WORDS
    ]
    speakers = list(dict.fromkeys(mid_sentence(r.speaker) for r in named))
    outlet = re.sub(r"^the\s+", "", entries[-1].article.outlet, flags=re.IGNORECASE)
    sources = f"Which sources does the {outlet} report rely on?"
    return [*(f"What did {speaker} say?" for speaker in speakers[:3]), sources]


def mid_sentence(phrase: str) -> str:
    """A speaker phrase as it reads inside a question: "The Ostrian government" -> "the Ostrian government",
    while a name that begins with "The" ("The Times") keeps it."""
    words = phrase.split()
    if len(words) > 1 and words[0] == "The" and words[-1][:1].islower():
        return "the " + " ".join(words[1:])
    return phrase


def ask_tab(engine: Engine, llm: LLMSpec | None, initial: list[CatalogEntry]) -> AskTab:
    """Lays out the Ask tab inside the current Blocks and wires its events (`/ask`, `/ask_on_enter`)."""
    with gr.Tab("Ask"), gr.Row():
        answer_state = gr.State({})
        asked_state = gr.State([])
        with gr.Column(scale=3):
            # No copy button here: the chat shows escaped HTML; exact text is copied from the passage box. No
            # label either: on a phone it sat over the answer's first line.
            chat = gr.Chatbot(
                show_label=False, render_markdown=False, height=400, elem_id="chat", buttons=[], autoscroll=False
            )
            question = gr.Textbox(label="Question", placeholder="Who told The Times that …?", elem_id="question")
            with gr.Row():
                send = gr.Button("Ask", variant="primary", elem_id="ask")
                clear = gr.Button("New conversation", elem_id="clear")
            examples = gr.Radio(choices=[], label="Try a question", elem_id="examples")
            indexed = gr.HTML(elem_id="indexed")
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
            view = gr.HTML(SOURCES_HINT, elem_id="article-view")
            exact = gr.JSON(visible=False, elem_id="answer-json")

    def show_citation(label: str | None, state: dict) -> tuple[str, str]:
        """The article with the cited passage highlighted (HTML, escaped), and the passage as exact text."""
        if not label or not state:
            return SOURCES_HINT, ""
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
            """The answer as the chat shows it: escaped, since the chat renders HTML even with Markdown off, with
            each [n] marked as a link to its passage."""
            understood = "" if answer.question == typed else f"(understood as: {answer.question})\n"
            return CITATION_MARK.sub(r'<span class="cite-mark">[\1]</span>', escape(understood + answer.answer))

        def partial(shown: str) -> dict[Any, Any]:
            return {
                chat: [*history, {"role": "assistant", "content": shown}],
                question: "",
                picker: gr.Radio(choices=[], value=None),
                view: SOURCES_HINT,
                answer_state: {},
                passage: "",
                exact: {},
            }

        try:
            answers = engine.ask_stream(text, int(top_k), scope or None, prose, asked)
            answer = next(answers)
        except (QuestionError, StoreUnavailable, DiskFull) as exc:
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
            view: SOURCES_HINT,
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
    for event in asked:
        event.then(None, None, None, js=SHOW_ANSWER_START)
    clear.click(new_conversation, None, outputs, api_name=False)
    chat.clear(new_conversation, None, outputs, api_name=False)
    picker.input(None, None, None, js=CHOSEN_BY_READER)
    picker.change(show_citation, [picker, answer_state], [view, passage], api_name=False).then(
        None, None, None, js=SHOW_PASSAGE
    )
    examples.input(lambda chosen: chosen or "", examples, question, api_name=False)
    return AskTab(chat, question, examples, indexed, scope, answer_state, asked_state, asked)
