""" "Which sources does the article rely on?": every source of each article, cited where it first speaks."""

from __future__ import annotations

from rag.index.library import Library
from rag.index.who_said_what import speaker_table
from rag.question.answer import Answer, Citation, abstention, cite
from rag.question.compose import speaker_line
from rag.question.plan import Plan


def answer(plan: Plan, library: Library) -> Answer:
    """With no articles chosen, the articles retrieval finds for the question are the ones described."""
    article_ids = set(plan.scope) if plan.scope else library.articles_about(plan.searched, plan.top_k)
    stored = [item for item in library.catalog.speakers.attributions(article_ids) if item.unit is not None]
    units = library.retrieval.unit_spans({(item.article_id, item.unit) for item in stored})
    articles = library.articles({item.article_id for item in stored})
    lines: list[str] = []
    citations: list[Citation] = []
    shown: list[dict] = []
    by_unit: dict[tuple[str, int], int] = {}
    for article_id in dict.fromkeys(item.article_id for item in stored):
        article = articles[article_id]
        lines.append(f"{article.outlet} ({article.date}) relies on these sources:")
        for row in speaker_table([item for item in stored if item.article_id == article_id]):
            first = row.items[0]
            key = (article_id, first.unit)
            if key not in units:
                continue
            if key not in by_unit:
                by_unit[key] = len(citations) + 1
                citations.append(cite(by_unit[key], article, *units[key]))
            n = by_unit[key]
            lines.append(f"- {speaker_line(n, first.attribution, *units[key])} · {row.count} attribution(s)")
            shown.append({"n": n, "article_id": article_id, **first.attribution.to_dict()})
    if not citations:
        return abstention(plan.question, "No attributions were found.")
    return Answer(plan.question, "\n".join(lines), False, citations, shown)
