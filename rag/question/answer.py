"""What an answer is: the question, the text shown, its citations and attributions; and question limits.

Answers are built by the components in `rag.question.components` and checked by `rag.question.verify` before display.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from rag import settings
from rag.ingest.articles import Article

# A verbatim excerpt is a Markdown block quote (every line of it starts with "> ") whose last line ends in [n].
EXCERPT_END = re.compile(r" \[(\d+)\]$")
CITATION_MARK = re.compile(r"\[(\d+)\]")
QUOTED = (re.compile(r"“([^”\n]*)”"), re.compile(r"«\s?([^»\n]*?)\s?»"), re.compile(r'"([^"\n]*)"'))
ABSTAINED = "The indexed articles do not answer this question."


class QuestionError(ValueError):
    """A question that cannot be asked; the message is meant for the user."""


@dataclass(frozen=True)
class Citation:
    """A numbered, verbatim span of an article: `text` is `article.text[start:end]`."""

    n: int
    article_id: str
    outlet: str
    start: int
    end: int
    text: str
    title: str = ""
    date: str = ""


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    attributions: list[dict[str, Any]] = field(default_factory=list)
    verified: bool = False
    # With a language model: each sentence it wrote, with the problems that kept it from being shown.
    model_sentences: list[dict[str, Any]] = field(default_factory=list)
    # Answers of other components that failed verification before this one was given ("outlets: …").
    withheld: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cite(n: int, article: Article, start: int, end: int) -> Citation:
    """Citation n of article[start:end]: the one way every component builds one."""
    return Citation(n, article.id, article.outlet, start, end, article.text[start:end], article.title, article.date)


def check_question(question: str) -> str:
    cleaned = " ".join(question.split())
    if not cleaned:
        raise QuestionError("The question is empty.")
    if len(cleaned) > settings.MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is {len(cleaned):,} characters long; ask in at most {settings.MAX_QUESTION_CHARS:,}."
        )
    return cleaned


def abstention(question: str, reason: str) -> Answer:
    """The one way every component says the articles do not answer, with the reason why."""
    return Answer(question, f"{ABSTAINED} {reason}".strip(), True)


def excerpts(answer_text: str) -> list[tuple[int, str]]:
    """The (citation number, verbatim text) of each block-quoted excerpt in an answer."""
    found: list[tuple[int, str]] = []
    block: list[str] = []
    for line in answer_text.splitlines():
        if not line.startswith("> "):
            block = []
            continue
        block.append(line[2:])
        end = EXCERPT_END.search(line)
        if end:
            block[-1] = block[-1][: end.start() - 2]
            found.append((int(end[1]), "\n".join(block)))
            block = []
    return found
