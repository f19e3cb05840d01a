"""Actor comparisons: positions side by side ("Compare Berlin and London", "Who opposes the plan?"),
each position cited to the sentences behind it."""

from __future__ import annotations

from rag import settings
from rag.compare.positions import ActorRow
from rag.index.library import Library
from rag.index.terms import content_terms, matched
from rag.question.answer import Answer, Citation, abstention, cite
from rag.question.plan import Plan


def rows_asked(plan: Plan, rows: list[ActorRow]) -> list[ActorRow] | None:
    """The rows the question is about; None when it names fewer than two actors the table knows."""
    terms = set(plan.words)
    named = [
        row
        for row in rows
        if row.actor in plan.actors
        or any(content_terms(p) and matched(content_terms(p), terms) == content_terms(p) for p in row.phrases)
    ]
    if len(named) >= 2:
        return named
    if plan.stances and len(named) < 2:
        return [row for row in rows if row.position in plan.stances]
    if not plan.actors:
        return [row for row in rows if row.position != "no stated position"]
    return None


def _answers(plan: Plan, rows: list[ActorRow], library: Library) -> bool:
    """Whether the relevance model rates any evidence shown as answering the question."""
    shown = [item.sentence.text for row in rows[: settings.MAX_ACTORS] for item in (row.deciding or row.evidence)]
    return bool(shown) and float(library.relevance(plan.question, shown).max()) >= settings.ANSWERS_AT


def answer(plan: Plan, library: Library) -> Answer | None:
    article_ids = sorted(plan.scope or library.articles_about(plan.searched, plan.top_k))
    rows = rows_asked(plan, library.actor_table(None, article_ids))
    if rows is None:
        return None
    if not rows:
        return abstention(plan.question, "No actor takes that position.")
    if len(plan.actors) < 2 and not plan.stances and not _answers(plan, rows, library):
        return None  # neither actors nor a stance asked about, and no position that answers it: not a comparison
    articles = library.articles({item.article_id for row in rows for item in row.evidence})
    lines = ["Positions side by side:"]
    citations: list[Citation] = []
    for row in rows[: settings.MAX_ACTORS]:
        evidence = (row.deciding or row.evidence)[: settings.EVIDENCE_PER_ACTOR]
        numbers = []
        for item in evidence:
            numbers.append(len(citations) + 1)
            citations.append(cite(numbers[-1], articles[item.article_id], item.sentence.start, item.sentence.end))
        shown = [p for p in row.phrases if any(p in citations[n - 1].text for n in numbers)]
        names = ", ".join(f"“{p}”" for p in shown[:3])
        lines.append(
            f"{row.actor}{f' (as {names})' if names else ''}: {row.position} " + "".join(f"[{n}]" for n in numbers)
        )
        for n, item in zip(numbers, evidence, strict=True):
            lines.append("> " + citations[n - 1].text.replace("\n", "\n> ") + f" [{n}]")
            lines.append(f"  {item.reported_by} [{n}]")
    return Answer(plan.question, "\n".join(lines), False, citations)
