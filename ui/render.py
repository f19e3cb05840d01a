"""HTML for citations. Article text is untrusted: every piece of it is escaped before it is placed."""

from __future__ import annotations

from html import escape

from rag.answer import Answer, Citation

CONTEXT_CHARS = 400


def citation_html(citation: Citation, article_text: str) -> str:
    """The cited span highlighted inside its surrounding article text, in an expandable block."""
    before = article_text[max(0, citation.start - CONTEXT_CHARS) : citation.start]
    after = article_text[citation.end : citation.end + CONTEXT_CHARS]
    return (
        f'<details class="citation" open><summary>[{citation.n}] {escape(citation.outlet)}, '
        f"{escape(citation.date)}: {escape(citation.title)} "
        f"<small>(chars {citation.start}–{citation.end})</small></summary>"
        f'<p class="article">…{escape(before)}<mark>{escape(citation.text)}</mark>{escape(after)}…</p></details>'
    )


def sources_html(answer: Answer, texts: dict[str, str]) -> str:
    if not answer.citations:
        return "<p><em>No passages cited.</em></p>"
    return "\n".join(citation_html(c, texts[c.article_id]) for c in answer.citations)
