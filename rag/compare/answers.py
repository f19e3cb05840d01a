"""Chat answers that set actors' positions side by side, each position cited to the sentences behind it."""

from __future__ import annotations

import re

from rag.actors.names import ActorNames
from rag.answer import Answer, Citation
from rag.compare.actors import ActorRow
from rag.corpus import Article
from rag.lexical import content_terms, matched

COMPARISON = re.compile(
    r"\b(?:compare|comparison|differ\w*|contrast\w*|versus|vs\.?|side by side|positions?|stances?)\b", re.IGNORECASE
)
STANCE_ASKED = {
    "opposes": re.compile(r"\b(?:oppos\w*|reject\w*|against)\b", re.IGNORECASE),
    "supports": re.compile(r"\b(?:support\w*|back(?:s|ing)?|advocat\w*|favou?r\w*)\b", re.IGNORECASE),
    "concerned": re.compile(r"\b(?:worr\w*|concern\w*|fear\w*)\b", re.IGNORECASE),
}
ACTOR_WORDS = re.compile(r"\b(?:actors?|countries|states|sides?|governments?|who)\b", re.IGNORECASE)
MAX_ACTORS = 8
EVIDENCE_PER_ACTOR = 2


def actors_named(question: str, rows: list[ActorRow], actors: ActorNames) -> list[ActorRow]:
    """Rows the question names, by any name of the actor ("Berlin" for Germany) or by the words of a phrase."""
    terms = content_terms(question)
    named_actors = actors.actors_in(question)
    return [
        row
        for row in rows
        if row.actor in named_actors
        or any(content_terms(p) and matched(content_terms(p), terms) == content_terms(p) for p in row.phrases)
    ]


def comparison_rows(question: str, rows: list[ActorRow], actors: ActorNames) -> list[ActorRow] | None:
    """The actors a comparison question is about, or None when it is not such a question."""
    named = actors_named(question, rows, actors)
    if COMPARISON.search(question) and len(named) >= 2:
        return named
    asked = [stance for stance, pattern in STANCE_ASKED.items() if pattern.search(question)]
    if asked and ACTOR_WORDS.search(question) and len(named) < 2:
        return [row for row in rows if row.position in asked]
    if COMPARISON.search(question) and ACTOR_WORDS.search(question) and not named:
        return [row for row in rows if row.position != "no stated position"]
    return None


def comparison_answer(question: str, rows: list[ActorRow], articles: dict[str, Article]) -> Answer:
    if not rows:
        return Answer(question, "The indexed articles do not answer this question. No actor takes that position.", True)
    lines = ["Positions side by side:"]
    citations: list[Citation] = []
    for row in rows[:MAX_ACTORS]:
        evidence = (row.deciding or row.evidence)[:EVIDENCE_PER_ACTOR]
        numbers = []
        for item in evidence:
            article = articles[item.article_id]
            n = len(citations) + 1
            span = item.sentence
            citations.append(
                Citation(n, article.id, article.outlet, span.start, span.end, span.text, article.title, article.date)
            )
            numbers.append(n)
        shown = [p for p in row.phrases if any(p in citations[n - 1].text for n in numbers)]
        names = ", ".join(f"“{p}”" for p in shown[:3])
        lines.append(
            f"{row.actor}{f' (as {names})' if names else ''}: {row.position} " + "".join(f"[{n}]" for n in numbers)
        )
        for n, item in zip(numbers, evidence, strict=True):
            lines.append("> " + citations[n - 1].text.replace("\n", "\n> ") + f" [{n}]")
            lines.append(f"  {item.reported_by} [{n}]")
    return Answer(question, "\n".join(lines), False, citations)
