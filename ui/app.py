"""Chat page: ask with follow-ups, read cited answers, inspect speakers, manage the corpus.

The page only arranges what `rag` computes: answering, attribution, ingest and removal all live there.
"""

from __future__ import annotations

import sys
import threading
from html import escape
from pathlib import Path
from typing import Any

from rag import settings
from rag.compare.article_pairs import compare_articles, stories
from rag.compare.story_claims import story_matrix
from rag.config import go_offline
from rag.engine import NOTHING_INDEXED, Engine
from rag.index.who_said_what import speaker_table
from rag.ingest.articles import CorpusError, new_article, parse_article, read_text, slugify
from rag.question.answer import Answer, Citation, QuestionError
from rag.question.follow_up import standalone_question
from rag.question.prose import LLMSpec
from rag.store.catalog import CatalogEntry
from ui.render import CSS, actor_table_html, article_view, articles_comparison_html, citation_choices, story_html

go_offline()

import gradio as gr  # noqa: E402  (telemetry switches must be set before the import)

WHO_HEADERS = ["speaker", "kind", "count", "cues", "what they said"]
ARTICLE_HEADERS = ["id", "date", "outlet", "title", "units"]


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
READ_ONLY = "Corpus changes are turned off on this server."
GROUNDED = "Excerpts as found"
PROSE = "Prose from the language model (each sentence verified)"


META_LABELS = ("headline", "outlet", "date")
UNCHANGED_FORM = (gr.update(),) * 5


def problem(error: str) -> str:
    """An ingest error without the server path it starts with ("PATH: problem")."""
    return error.split(": ", 1)[-1]


def build(engine: Engine, read_only: bool = False, llm: LLMSpec | None = None) -> gr.Blocks:
    def article_choices(entries: list[CatalogEntry]) -> list[tuple[str, str]]:
        return [(f"{e.article.date} · {e.article.outlet} · {e.article.title}", e.article.id) for e in entries]

    def article_rows(entries: list[CatalogEntry]) -> list[list[Any]]:
        return [[e.article.id, e.article.date, e.article.outlet, e.article.title, e.n_units] for e in entries]

    def ask(question: str, history: list[dict], top_k: float, scope: list[str] | None, asked: list[str], style: str):
        history = [*history, {"role": "user", "content": escape(question)}]
        standalone = standalone_question(question, asked)
        prose = llm if style == PROSE else None

        def said(answer: Answer) -> str:
            """The answer as the chat shows it: escaped, since the chat renders HTML even with Markdown off."""
            shown = (
                answer.answer if standalone == question.strip() else f"(understood as: {standalone})\n{answer.answer}"
            )
            return escape(shown)

        def partial(text: str) -> tuple:
            return (
                [*history, {"role": "assistant", "content": text}],
                "",
                gr.Radio(choices=[], value=None),
                "",
                {},
                asked,
                "",
                {},
            )

        try:
            answers = engine.ask_stream(standalone, int(top_k), scope or None, prose)
            answer = next(answers)
        except QuestionError as exc:
            error = f"⚠ {exc}"
            chat = [*history, {"role": "assistant", "content": escape(error)}]
            yield chat, "", gr.Radio(choices=[], value=None), "", {}, asked, "", {"error": str(exc)}
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
        final = [*history, {"role": "assistant", "content": said(answer)}]
        view, passage = show_citation(first, state)
        yield final, "", gr.Radio(choices=choices, value=first), view, state, [*asked, standalone], passage, state

    def indexed_summary(listed: list[CatalogEntry]) -> str:
        if not listed:
            return NOTHING_INDEXED
        total = engine.catalog.count()
        outlets = sorted(engine.library.outlets().articles)
        summary = f"{total} article(s) indexed from {len(outlets)} outlet(s): {', '.join(outlets[:8])}" + (
            " …" if len(outlets) > 8 else ""
        )
        return summary + (f"; the page lists the newest {len(listed)}" if total > len(listed) else "")

    def example_questions(entries: list[CatalogEntry]) -> list[str]:
        """Questions the indexed articles can answer: what their most quoted named speakers said, and sources."""
        recent = {e.article.id for e in entries[-settings.EXAMPLE_ARTICLES :]}
        rows = speaker_table(engine.catalog.speakers.attributions(recent)) if recent else []
        named = [r for r in rows if r.kind in ("named_person", "named_organisation")]
        speakers = dict.fromkeys(r.speaker for r in sorted(named, key=lambda r: -r.count))
        said = [f"What did {speaker} say?" for speaker in list(speakers)[:3]]
        return [*said, "Which sources does the article rely on?"] if recent else []

    def new_conversation():
        """Empty chat, sources panel and follow-up context."""
        return [], "", gr.Radio(choices=[], value=None), "", {}, [], "", {}

    def show_citation(label: str | None, state: dict) -> tuple[str, str]:
        """The article with the cited passage highlighted (HTML, escaped), and the passage as exact text."""
        if not label or not state:
            return "", ""
        citation = next(Citation(**c) for c in state["citations"] if label.startswith(f"[{c['n']}] "))
        entry = engine.catalog.get(citation.article_id)
        if entry is None:
            return "<p>This article has been removed.</p>", ""
        return article_view(citation, state["attributions"], entry.article.text, entry.article.url), citation.text

    def who_rows(article_id: str | None, needle: str) -> list[list[Any]]:
        """Speakers of the chosen article; otherwise of the articles the page lists and, with a filter, of
        articles anywhere in the corpus whose speaker phrases have its words (through the speaker index)."""
        needle = (needle or "").strip().lower()
        scope = {article_id} if article_id else {e.article.id for e in engine.articles(settings.PAGE_ARTICLES)}
        phrases = frozenset(engine.catalog.speakers.phrases(needle.split())) if needle and not article_id else None
        if phrases:
            scope |= engine.catalog.speakers.articles_spoken_in(phrases, settings.PAGE_ARTICLES)
        rows = speaker_table(engine.catalog.speakers.attributions(scope))
        return [
            [r.speaker, r.kind.replace("_", " "), r.count, ", ".join(dict.fromkeys(r.cues)), "\n".join(r.contents)]
            for r in sorted(rows, key=lambda r: -r.count)
            if not needle or needle in r.speaker.lower() or any(needle in c.lower() for c in r.contents)
        ]

    def add_files(files: list[str] | None, title: str, outlet: str, date: str, url: str, progress=gr.Progress()):  # noqa: B008  (Gradio injects progress this way)
        """Index uploads; the form clears after a full success and keeps its values when something failed."""
        if read_only:
            return (*refreshed(READ_ONLY), *UNCHANGED_FORM)
        if not files:
            return (*refreshed("Choose one or more .txt or .md files first."), *UNCHANGED_FORM)
        messages, failed = [], False
        for i, name in enumerate(files):
            path = Path(name)
            progress((i, len(files)), desc=f"indexing {path.name}")
            try:
                text = read_text(path)
                if text.startswith("---"):
                    article = parse_article(text, path.name, default_id=slugify(path.stem, 128))
                else:
                    missing = [
                        label
                        for label, value in zip(META_LABELS, (title, outlet, date), strict=True)
                        if not value.strip()
                    ]
                    if missing:
                        raise CorpusError(path.name, f"plain text needs {', '.join(missing)} in the form")
                    article = new_article(text, title=title, outlet=outlet, date=date, url=url, source=path.name)
                _, report = engine.add(article)
                failed |= bool(report.errors)
                messages += [f"{path.name}: {report.summary()}", *(f"{path.name}: {problem(e)}" for e in report.errors)]
            except CorpusError as exc:
                failed = True
                messages.append(f"{path.name}: {exc.problem}")
        form = UNCHANGED_FORM if failed else (None, "", "", "", "")
        return (*refreshed("\n".join(messages)), *form)

    def remove(article_id: str | None, confirmed: bool):
        if read_only:
            return refreshed(READ_ONLY)
        if not article_id:
            return refreshed("Choose an article to remove.")
        if not confirmed:
            return refreshed(f"Tick 'confirm removal' to remove {article_id}.")
        removed = engine.remove(article_id)
        return refreshed(f"Removed {article_id}." if removed else f"{article_id} was not indexed.")

    def refreshed(message: str):
        """Status text plus every list of articles on the page, read from the catalog on load and after a change."""
        entries = engine.articles(settings.PAGE_ARTICLES)
        choices, story_groups = article_choices(entries), story_choices(entries)
        return (
            message,
            article_rows(entries),
            gr.Dropdown(choices=choices, value=None),
            gr.Dropdown(choices=choices, value=None),
            gr.Dropdown(choices=choices, value=[]),
            gr.Checkbox(value=False),
            gr.Dropdown(choices=choices, value=[]),
            gr.Dropdown(choices=choices, value=[]),
            who_rows(None, ""),
            gr.Radio(choices=example_questions(entries), value=None),
            indexed_summary(entries),
            gr.Dropdown(choices=story_groups, value=None),
            story_groups,
        )

    def compare_actors(topic: str, scope: list[str] | None) -> str:
        rows = engine.library.actor_table(topic.strip() or None, scope or None)
        return actor_table_html([row.to_dict() for row in rows])

    def compare_outlets(ids: list[str] | None) -> str:
        if not ids or len(ids) < 2:
            return "<p>Choose two or more articles.</p>"
        return articles_comparison_html(compare_articles(engine.library.article_views(ids)))

    def story_choices(entries: list[CatalogEntry]) -> list[tuple[str, str]]:
        """Stories of two or more articles: "outlet · outlet · … (date)" -> their ids joined by commas."""
        by_id = {e.article.id: e.article for e in entries}
        groups = [g for g in stories(engine.library.article_views(list(by_id))) if len(g) > 1] if entries else []
        return [
            (" · ".join(by_id[i].outlet for i in group) + f" ({by_id[group[0]].date})", ",".join(group))
            for group in groups
        ]

    def story_of_answer(state: dict, choices: list[tuple[str, str]]):
        """An answer citing several outlets of one story opens that story in the Compare tab."""
        cited = {c["article_id"] for c in state.get("citations", [])}
        chosen = next((value for _, value in choices if len(cited) > 1 and cited <= set(value.split(","))), None)
        return (gr.Dropdown(value=chosen), show_story(chosen)) if chosen else (gr.update(), gr.update())

    def show_story(chosen: str | None) -> str:
        if not chosen:
            return "<p>Choose a story.</p>"
        return story_html(story_matrix(engine.library.article_views(chosen.split(","))))

    initial = engine.articles(settings.PAGE_ARTICLES)
    with gr.Blocks(title="News discourse Q&A") as page:
        gr.Markdown(
            "## Ask the news articles\nAnswers quote the articles verbatim; every claim carries a citation [n]."
        )
        answer_state = gr.State({})
        asked_state = gr.State([])
        stories_state = gr.State([])  # the story dropdown's choices, to open an answer's story
        # On a narrow screen the tabs wrap onto a second row instead of hiding behind an unlabelled "⋯".
        with gr.Tabs(overflow_behavior="wrap"):
            with gr.Tab("Ask"), gr.Row():
                with gr.Column(scale=3):
                    # No copy button here: the chat shows escaped HTML; exact text is copied from the passage box.
                    chat = gr.Chatbot(label="Answers", render_markdown=False, height=460, elem_id="chat", buttons=[])
                    question = gr.Textbox(
                        label="Question", placeholder="Who told The Times that …?", elem_id="question"
                    )
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
            with gr.Tab("Who said what"):
                with gr.Row():
                    who_article = gr.Dropdown(choices=article_choices(initial), label="Article", elem_id="who-article")
                    who_filter = gr.Textbox(label="Filter speakers or statements", elem_id="who-filter")
                who = gr.Dataframe(
                    headers=WHO_HEADERS,
                    datatype=["str"] * 5,
                    value=who_rows(None, ""),
                    interactive=False,
                    elem_id="who-table",
                    wrap=True,
                    column_widths=["20%", "10%", "6%", "12%", "52%"],
                )
            with gr.Tab("Compare"):
                gr.Markdown("Actors' positions side by side, and how several articles report one story.")
                with gr.Row():
                    topic = gr.Textbox(label="Topic (optional)", elem_id="compare-topic")
                    compare_scope = gr.Dropdown(
                        choices=article_choices(initial),
                        multiselect=True,
                        label="Articles (default: all)",
                        elem_id="compare-scope",
                    )
                compare_button = gr.Button("Compare actors", elem_id="compare-actors")
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
                    story_pick = gr.Dropdown(
                        choices=[], label="A story's claims, outlet by outlet", elem_id="story-pick"
                    )
                    story_button = gr.Button("Show claims by outlet", elem_id="show-story")
                story_view = gr.HTML(elem_id="story-view")
            with gr.Tab("Corpus"), gr.Row():
                with gr.Column():
                    files = gr.File(
                        label="Article files (.txt or .md)",
                        file_count="multiple",
                        file_types=[".txt", ".md"],
                        elem_id="upload",
                    )
                    gr.Markdown("Plain-text files need their metadata here; files with front matter carry their own.")
                    title = gr.Textbox(label="Headline", elem_id="meta-title")
                    outlet = gr.Textbox(label="Outlet", elem_id="meta-outlet")
                    date = gr.Textbox(label="Date (YYYY-MM-DD)", elem_id="meta-date")
                    url = gr.Textbox(label="URL (optional)", elem_id="meta-url")
                    add = gr.Button("Add to corpus", variant="primary", elem_id="add", interactive=not read_only)
                with gr.Column():
                    status = gr.Textbox(label="Status", interactive=False, lines=4, elem_id="corpus-status")
                    articles = gr.Dataframe(
                        headers=ARTICLE_HEADERS,
                        datatype=["str", "str", "str", "str", "number"],
                        value=article_rows(initial),
                        interactive=False,
                        elem_id="articles",
                    )
                    remove_id = gr.Dropdown(
                        choices=article_choices(initial), label="Article to remove", elem_id="remove-id"
                    )
                    confirm = gr.Checkbox(label="confirm removal", elem_id="remove-confirm")
                    remove_button = gr.Button("Remove", variant="stop", elem_id="remove", interactive=not read_only)

        outputs = [chat, question, picker, view, answer_state, asked_state, passage, exact]
        inputs = [question, chat, top_k, scope, asked_state, style]
        for asked_by in (
            send.click(ask, inputs, outputs, api_name="ask"),
            question.submit(ask, inputs, outputs, api_name="ask_on_enter"),
        ):
            asked_by.then(story_of_answer, [answer_state, stories_state], [story_pick, story_view], api_name=False)
        clear.click(new_conversation, None, outputs, api_name=False)
        chat.clear(new_conversation, None, outputs, api_name=False)
        picker.change(show_citation, [picker, answer_state], [view, passage], api_name=False).then(
            None, None, None, js=SCROLL_TO_HIGHLIGHT
        )
        who_article.change(who_rows, [who_article, who_filter], who, api_name=False)
        who_filter.change(who_rows, [who_article, who_filter], who, api_name="who")
        corpus_outputs = [status, articles, remove_id, who_article, scope, confirm, compare_scope, outlets_pick, who]
        corpus_outputs += [examples, indexed, story_pick, stories_state]
        examples.input(lambda chosen: chosen or "", examples, question, api_name=False)
        page.load(lambda: refreshed(""), None, corpus_outputs, api_name=False)
        compare_button.click(compare_actors, [topic, compare_scope], actors_view, api_name="compare")
        outlets_button.click(compare_outlets, [outlets_pick], outlets_view, api_name="compare_articles")
        story_button.click(show_story, [story_pick], story_view, api_name="story")
        form = [files, title, outlet, date, url]
        # Questions run side by side (the queue's default limit); corpus changes share one slot.
        add.click(add_files, form, corpus_outputs + form, api_name="add", concurrency_id="corpus", concurrency_limit=1)
        remove_button.click(
            remove,
            [remove_id, confirm],
            corpus_outputs,
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
        js=CITATION_CLICKS,
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
