"""HTML for the page. Article text and metadata are untrusted: every piece is escaped before it is placed."""

from __future__ import annotations

import re
from html import escape
from itertools import pairwise
from typing import Any
from urllib.parse import urlparse

from rag import settings
from rag.charts import Bar, bar_chart
from rag.question.answer import Answer, Citation
from rag.store.catalog import CatalogEntry

ROLE_CLASSES = ("cited", "source", "cue", "content")
LEGEND = (
    '<div class="legend"><span class="cited">cited passage</span> <span class="source">speaker</span> '
    '<span class="cue">cue</span> <span class="content">what was said</span></div>'
)
CSS = """
.legend span { margin-right: 0.8em; padding: 0 3px; }
.article-view { white-space: pre-wrap; line-height: 1.6; max-height: 55vh; overflow-y: auto; position: relative; }
#chat .cite-mark { color: #2563eb; text-decoration: underline; cursor: pointer; }
.cited { background: #fef08a; }
.article-view .cited { scroll-margin-block: 2em; }
.source { border-bottom: 3px solid #2563eb; font-weight: 600; }
.cue { color: #b91c1c; font-style: italic; font-weight: 700; }
.content { text-decoration: underline dotted #15803d 2px; }
table.compare td, table.compare th { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; }
.story-scroll { overflow-x: auto; }
table.story { width: 100%; }
table.story th.claim { min-width: 22em; }
table.story th.outlet, table.story td.carries { min-width: 6em; font-size: 0.85em; }
table.story th.outlet { font-size: 0.8em; }
table.story summary { cursor: pointer; }
table.story ul { margin: 0.3em 0; padding-left: 1.2em; font-size: 0.9em; }
table.story mark { background: #fde68a; }
table.story td.absent { color: #9ca3af; text-align: center; }
/* On a phone the matrix reads as cards: a claim, then each outlet that carries it, named. */
@media (max-width: 640px) {
  table.story, table.story tbody, table.story tr, table.story td { display: block; min-width: 0; }
  table.story tr:first-child, table.story td.absent { display: none; }
  table.story tr { border: 1px solid #ddd; margin-bottom: 0.8em; }
  table.story td.carries::before { content: attr(data-outlet) ": "; font-weight: 600; }
  /* The speaker table keeps its rows and scrolls sideways rather than squeeze a column below a word: its
     header cells and its (virtual) body cells get one width per column instead of a share of the phone. */
  #who-table table, #who-table .virtual-body { min-width: 65.5em; }
  #who-table th, #who-table [role=gridcell] {
    flex: 0 0 var(--col) !important; width: var(--col) !important;
    min-width: var(--col) !important; max-width: var(--col) !important;
  }
  #who-table th:nth-child(1), #who-table [role=gridcell][data-col="0"] { --col: 9em; }
  #who-table th:nth-child(2), #who-table [role=gridcell][data-col="1"] { --col: 12em; }
  #who-table th:nth-child(3), #who-table [role=gridcell][data-col="2"] { --col: 8em; }
  #who-table th:nth-child(4), #who-table [role=gridcell][data-col="3"] { --col: 4.5em; }
  #who-table th:nth-child(5), #who-table [role=gridcell][data-col="4"] { --col: 10em; }
  #who-table th:nth-child(6), #who-table [role=gridcell][data-col="5"] { --col: 22em; }
}
"""


def article_choices(entries: list[CatalogEntry]) -> list[tuple[str, str]]:
    """(label, article id) pairs for the article pickers; Gradio escapes the labels."""
    return [(f"{e.article.date} · {e.article.outlet} · {e.article.title}", e.article.id) for e in entries]


def citation_label(citation: Citation) -> str:
    """Outlet, date and the passage's first words, so two citations of one article read apart."""
    words = citation.text.split()
    opening = " ".join(words[: settings.LABEL_WORDS]) + (" …" if len(words) > settings.LABEL_WORDS else "")
    return f"[{citation.n}] {citation.outlet} · {citation.date} · {opening}"


def safe_link(url: str | None) -> str:
    """A link only for http(s) addresses; anything else is shown as text."""
    if not url:
        return ""
    if urlparse(url).scheme in ("http", "https"):
        return f'<a href="{escape(url, quote=True)}" rel="noopener noreferrer" target="_blank">{escape(url)}</a>'
    return escape(url)


def highlighted(text: str, spans: list[tuple[int, int, str]]) -> str:
    """The text with each (start, end, role) span wrapped in its role's class; overlaps nest as class sets."""
    edges = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    pieces = []
    for start, end in pairwise(edges):
        roles = [role for role in ROLE_CLASSES if any(s <= start and end <= e and r == role for s, e, r in spans)]
        chunk = escape(text[start:end])
        pieces.append(f'<span class="{" ".join(roles)}">{chunk}</span>' if roles else chunk)
    return "".join(pieces)


def article_view(citation: Citation, attributions: list[dict[str, Any]], article_text: str, url: str | None) -> str:
    """The whole article with the cited span highlighted and its attributions' speaker, cue and content marked."""
    spans = [(citation.start, citation.end, "cited")]
    for item in attributions:
        if item["n"] != citation.n:
            continue
        for role in ("source", "cue", "content"):
            if item[role]:
                spans.append((item[role]["start"], item[role]["end"], role))
    return (
        f"<h4>{escape(citation.title)}</h4><p>{escape(citation.outlet)} · {escape(citation.date)} "
        f"{safe_link(url)}</p>{LEGEND}<div class='article-view'>{highlighted(article_text, spans)}</div>"
    )


def citation_choices(answer: Answer) -> list[str]:
    return [citation_label(c) for c in answer.citations]


POSITION_COLOURS = {
    "supports": "#16a34a",
    "opposes": "#dc2626",
    "concerned": "#d97706",
    "conditional": "#7c3aed",
    "no stated position": "#9ca3af",
}


def positions_chart(rows: list[dict[str, Any]]) -> str:
    """One bar per actor, coloured by position, its length the number of evidence sentences."""
    bars = [
        (row["actor"], [Bar(len(row["evidence"]), POSITION_COLOURS[row["position"]], row["position"])]) for row in rows
    ]
    return bar_chart(bars, POSITION_COLOURS)


def actor_table_html(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>No actors found.</p>"
    body = "".join(
        f"<tr><td><b>{escape(r['actor'])}</b><br><small>{escape('; '.join(r['phrases']))}</small></td>"
        f"<td style='color:{POSITION_COLOURS[r['position']]}'><b>{escape(r['position'])}</b></td><td><ul>"
        + "".join(
            f"<li>[{escape(e['position'])}] {escape(e['text'])}<br><small>{escape(e['reported_by'])} · "
            f"{escape(e['article_id'])} {e['start']}–{e['end']}</small></li>"
            for e in r["evidence"]
        )
        + "</ul></td></tr>"
        for r in rows
    )
    return (
        f"{positions_chart(rows)}<table class='compare'><tr><th>actor (as the articles name it)</th>"
        f"<th>position</th><th>evidence</th></tr>{body}</table>"
    )


def articles_comparison_html(result: dict[str, Any]) -> str:
    outlets = {a["id"]: a["outlet"] for a in result["articles"]}
    parts = []
    for pair in result["pairs"]:
        a, b = escape(outlets[pair["a"]]), escape(outlets[pair["b"]])
        rows = "".join(
            f"<tr><td>{escape(s['a']['text'])}</td><td>{escape(s['b']['text'])}</td><td><ul>"
            + "".join(f"<li>{escape(d)}</li>" for d in s["attribution_differences"])
            + "</ul></td></tr>"
            for s in pair["shared"]
        )
        only = "".join(
            f"<li><b>{name}</b> only: {escape(span['text'])}</li>"
            for side, name in (("only_a", a), ("only_b", b))
            for span in pair[side]
        )
        naming = "".join(f"<li>{escape(n['a'])} ({a}) / {escape(n['b'])} ({b})</li>" for n in pair["naming"])
        parts.append(
            f"<h4>{a} vs {b}</h4><table class='compare'><tr><th>{a}</th><th>{b}</th><th>attribution differences</th>"
            f"</tr>{rows}</table><ul>{only}</ul>" + (f"<p>Naming:</p><ul>{naming}</ul>" if naming else "")
        )
    for article_id, sources in result["sources"].items():
        listed = "; ".join(f"{s['speaker']} ({s['kind']})" for s in sources)
        parts.append(f"<p><b>Sources of {escape(outlets[article_id])}:</b> {escape(listed)}</p>")
    return "".join(parts)


def _marked(text: str, marks: list[str]) -> str:
    """The cell's exact text, escaped, with the words where outlets differ in <mark>."""
    spans = sorted({(m.start(), m.end()) for word in marks for m in re.finditer(re.escape(word), text)})
    parts, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        parts += [escape(text[at:start]), f"<mark>{escape(text[start:end])}</mark>"]
        at = end
    return "".join(parts) + escape(text[at:])


MARKS_PER_CELL = 3  # a dozen outlets' columns stay a few lines tall; the row opens to every sentence


def _outlet_cell(outlet: str, cells: list[dict[str, Any]]) -> str:
    """One outlet's cell: the first words it puts differently, marked, or ✓; its exact sentences on hover; the
    outlet's name beside it where the matrix reads as cards (a phone)."""
    if not cells:
        return "<td class='absent'>—</td>"
    marks = list(dict.fromkeys(mark for cell in cells for mark in cell["marks"]))
    shown = ", ".join(f"<mark>{escape(mark)}</mark>" for mark in marks[:MARKS_PER_CELL]) or "✓"
    more = f" <small>+{len(marks) - MARKS_PER_CELL}</small>" if len(marks) > MARKS_PER_CELL else ""
    title = escape(" / ".join(cell["text"] for cell in cells), quote=True)
    return f'<td class=\'carries\' data-outlet="{escape(outlet, quote=True)}" title="{title}">{shown}{more}</td>'


def story_html(matrix: dict[str, Any]) -> str:
    """Claims × outlets, readable at a dozen outlets: a row per claim shows one outlet's exact sentence and, in
    each outlet's column, only what that outlet words differently; the row opens to every outlet's sentence and
    the differences spelled out."""
    articles = matrix["articles"]
    head = "".join(
        f"<th class='outlet'>{escape(a['outlet'])}"
        + (f"<br><small>{escape(a['group'])}</small>" if a["group"] else "")
        + "</th>"
        for a in articles
    )
    rows = []
    for claim in matrix["claims"]:
        by_article: dict[str, list[dict[str, Any]]] = {}
        for cell in claim["cells"]:
            by_article.setdefault(cell["article_id"], []).append(cell)
        first = claim["cells"][0]
        sentences = "".join(
            f"<li><b>{escape(c['outlet'])}</b>: {_marked(c['text'], c['marks'])}</li>" for c in claim["cells"]
        )
        notes = "".join(f"<li>{escape(d)}</li>" for d in claim["differences"])
        opening = _marked(first["text"], first["marks"])
        summary = f"{len(by_article)} of {len(articles)} · {escape(first['outlet'])}: {opening}"
        row = "".join(_outlet_cell(a["outlet"], by_article.get(a["id"], [])) for a in articles)
        rows.append(
            f"<tr><td class='claim'><details><summary>{summary}</summary><ul>{sentences}</ul>"
            f"<ul class='differences'>{notes}</ul></details></td>{row}</tr>"
        )
    spellings = "".join(f"<li>{escape(s)}</li>" for s in matrix["spellings"])
    same = "".join(f"<li>{escape(', '.join(group))}</li>" for group in matrix["same_text"])
    same = f"<p>These outlets run the same text (counted once):</p><ul class='same-text'>{same}</ul>" if same else ""
    table = f"<table class='compare story'><tr><th class='claim'>claim</th>{head}</tr>{''.join(rows)}</table>"
    spelled = f"<p>Spellings:</p><ul>{spellings}</ul>" if spellings else ""
    return f"{same}<div class='story-scroll'>{table}</div>{spelled}"
