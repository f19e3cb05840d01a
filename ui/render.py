"""HTML for the page. Article text and metadata are untrusted: every piece is escaped before it is placed."""

from __future__ import annotations

from html import escape
from itertools import pairwise
from typing import Any
from urllib.parse import urlparse

from rag.answer import Answer, Citation

ROLE_CLASSES = ("cited", "source", "cue", "content")
LEGEND = (
    '<div class="legend"><span class="cited">cited passage</span> <span class="source">speaker</span> '
    '<span class="cue">cue</span> <span class="content">what was said</span></div>'
)
CSS = """
.legend span { margin-right: 0.8em; padding: 0 3px; }
.article-view { white-space: pre-wrap; line-height: 1.6; }
.cited { background: #fef08a; }
.source { border-bottom: 3px solid #2563eb; font-weight: 600; }
.cue { color: #b91c1c; font-style: italic; font-weight: 700; }
.content { text-decoration: underline dotted #15803d 2px; }
"""


def citation_label(citation: Citation) -> str:
    return f"[{citation.n}] {citation.outlet} · {citation.date} · {citation.title}"


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
