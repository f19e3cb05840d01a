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
table.story mark { background: #fde68a; }
table.story td.absent { color: #9ca3af; text-align: center; }
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


def story_html(matrix: dict[str, Any]) -> str:
    """Claims × outlets: each cell the outlet's exact sentence, the words where outlets differ marked."""
    outlets = [a["outlet"] for a in matrix["articles"]]
    head = "".join(
        f"<th>{escape(a['outlet'])}" + (f"<br><small>{escape(a['group'])}</small>" if a["group"] else "") + "</th>"
        for a in matrix["articles"]
    )
    rows = []
    for claim in matrix["claims"]:
        cells = {cell["outlet"]: cell for cell in claim["cells"]}
        row = "".join(
            f"<td>{_marked(cells[o]['text'], cells[o]['marks'])}</td>" if o in cells else "<td class='absent'>—</td>"
            for o in outlets
        )
        notes = "".join(f"<li>{escape(d)}</li>" for d in claim["differences"])
        rows.append(f"<tr><td>{len(cells)} of {len(outlets)}<ul>{notes}</ul></td>{row}</tr>")
    spellings = "".join(f"<li>{escape(s)}</li>" for s in matrix["spellings"])
    return f"<table class='compare story'><tr><th>claim</th>{head}</tr>{''.join(rows)}</table>" + (
        f"<p>Spellings:</p><ul>{spellings}</ul>" if spellings else ""
    )
