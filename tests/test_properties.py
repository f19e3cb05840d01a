"""Property tests: whatever text arrives, the front-matter parser and question checks answer cleanly."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from rag import settings
from rag.ingest.articles import Article, CorpusError, new_article, parse_article, render_article_file
from rag.question.answer import QuestionError, check_question
from rag.question.follow_up import standalone_question

single_line = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=80).filter(
    lambda s: s.strip() and s == s.strip()
)


@examples(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text_parses_or_gets_a_corpus_error(text: str) -> None:
    try:
        article = parse_article(text, "upload.md", default_id="upload")
    except CorpusError as exc:
        assert exc.problem and "upload.md" in str(exc)
    else:
        assert text.endswith(article.text) and article.text.strip()


@examples(max_examples=200)
@given(title=single_line, outlet=single_line, body=st.text(min_size=1, max_size=300).filter(str.strip))
def test_metadata_and_body_survive_a_round_trip(title: str, outlet: str, body: str) -> None:
    try:
        article = new_article(body, title=title, outlet=outlet, date="2025-01-02", article_id="a-1")
    except CorpusError:
        return  # a body that itself opens with front matter is refused, with a reason
    again = parse_article(render_article_file(article), "again.md")
    assert (again.title, again.outlet, again.text, again.date) == (title, outlet, body, "2025-01-02")
    assert isinstance(again, Article)


@examples(max_examples=300)
@given(st.text(max_size=settings.MAX_QUESTION_CHARS + 200))
def test_any_question_is_accepted_whitespace_normalised_or_refused_with_a_reason(question: str) -> None:
    try:
        cleaned = check_question(question)
    except QuestionError as exc:
        assert str(exc).startswith("The question")
        assert not question.split() or len(" ".join(question.split())) > settings.MAX_QUESTION_CHARS
    else:
        assert cleaned == " ".join(question.split()) and 0 < len(cleaned) <= settings.MAX_QUESTION_CHARS


@examples(max_examples=200)
@given(st.text(max_size=200), st.lists(st.text(max_size=120), max_size=3))
def test_follow_up_rewriting_never_fails(question: str, previous: list[str]) -> None:
    assert isinstance(standalone_question(question, previous), str)


def test_a_question_of_100_kb_is_refused_with_its_length() -> None:
    with pytest.raises(QuestionError, match="characters long"):
        check_question("why " * 25_000)
