from rag.answer import Citation
from ui.render import citation_html


def test_article_markup_is_escaped_around_and_inside_the_highlight() -> None:
    text = 'Intro <img src=x onerror=alert(1)>. "Quote <script>alert(2)</script>," he said. Outro.'
    start = text.index('"Quote')
    end = text.index(" Outro")
    html = citation_html(Citation(1, "a", "<b>Outlet</b>", start, end, text[start:end], "T", "2025-01-01"), text)
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "<mark>&quot;Quote" in html
