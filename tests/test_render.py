from rag.question.answer import Citation
from ui.render import article_view, highlighted, safe_link

TEXT = 'Intro <img src=x onerror=alert(1)>. "Quote <script>alert(2)</script>," he said. Outro.'


def test_article_markup_is_escaped_around_and_inside_the_highlight() -> None:
    start, end = TEXT.index('"Quote'), TEXT.index(" Outro")
    citation = Citation(1, "a", "<b>Outlet</b>", start, end, TEXT[start:end], "<i>T</i>", "2025-01-01")
    html = article_view(citation, [], TEXT, "javascript:alert(3)")
    assert "<script>" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html and 'class="cited">&quot;Quote' in html
    assert "href" not in html


def test_overlapping_roles_become_class_sets() -> None:
    text = "Officials said the plan failed."
    html = highlighted(text, [(0, 30, "cited"), (0, 9, "source"), (10, 14, "cue"), (15, 30, "content")])
    assert html == (
        '<span class="cited source">Officials</span><span class="cited"> </span>'
        '<span class="cited cue">said</span><span class="cited"> </span>'
        '<span class="cited content">the plan failed</span>.'
    )


def test_only_web_addresses_become_links() -> None:
    assert safe_link("https://example.org/a?b=1&c=2").startswith('<a href="https://example.org/a?b=1&amp;c=2"')
    assert safe_link("javascript:alert(1)") == "javascript:alert(1)"
    assert safe_link(None) == ""
