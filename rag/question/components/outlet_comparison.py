"""Questions across outlets ("Do the outlets agree on …?", "Which reports say …?", "What does A include
that B does not?"), answered from the story's claims: which outlets carry the claim the question is
about, in their exact sentences, and where their accounts differ."""

from __future__ import annotations

import re

from rag import settings
from rag.compare.article_pairs import stories
from rag.compare.story_claims import Claim, claims
from rag.index.library import Library
from rag.question.answer import Answer, Citation, abstention, cite
from rag.question.answerable import unworded_reason
from rag.question.compose import compose
from rag.question.plan import Plan

LEAVES_OUT = re.compile(r"\b(?:not|n['’]t|leaves? out|omits?|drops?|miss(?:es)?|lacks?)\b", re.IGNORECASE)


def _story(plan: Plan, library: Library) -> list[str]:
    """The articles of the story asked about: the chosen ones, or the whole story of the best passage
    (always for a question about an outlet group, which is compared with the story's other outlets)."""
    if plan.scope and len(plan.scope) > 1 and not plan.groups:
        return list(plan.scope)
    hits = library.retrieval.retrieve(plan.searched, 1, plan.scope, rerank="lexical")
    if not hits:
        return []
    top = hits[0].node.metadata["article_id"]
    return next(group for group in stories(library.article_views()) if top in group)


def _position(question: str, outlet: str) -> int:
    """Where the question first names an outlet (by any word of its name)."""
    spots = [question.find(word) for word in re.findall(r"[A-Z][\w’'-]{3,}", outlet)]
    return min((at for at in spots if at >= 0), default=len(question))


def _cells_answer(plan: Plan, claim: Claim, total: int) -> Answer:
    citations = [cite(n, c.article, c.unit.span.start, c.unit.span.end) for n, c in enumerate(claim.cells, 1)]
    marks = "".join(f"[{c.n}]" for c in citations)
    carrying = len(set(claim.outlets))
    share = f"All {total}" if carrying == total else f"{carrying} of {total}"
    lines = [f"{share} outlets carry this claim. {marks}"]
    differences = claim.differences()
    if differences:
        lines.append("Where their accounts differ:")
    else:
        lines.append(f"Their accounts do not differ in stance, figures, names, hedges or attribution. {marks}")
    for difference in differences:
        # Each value cites the first outlet that has it ("“oppose” in A, B; “concerned” in C" -> [A][C]).
        firsts = [next((c for c in citations if c.outlet in part), None) for part in difference.split("; ")]
        lines.append(f"- {difference} " + "".join(dict.fromkeys(f"[{c.n}]" for c in firsts if c)))
    for citation in citations:
        lines.append(f"{citation.outlet} ({citation.date}):")
        lines.append("> " + citation.text.replace("\n", "\n> ") + f" [{citation.n}]")
    return Answer(plan.question, "\n".join(lines), False, citations)


def _only_in(plan: Plan, found: list[Claim], first: str, second: str, ours: set[str], theirs: set[str]) -> Answer:
    """What the first outlet (or group) named carries that the second leaves out."""
    mine = [c for c in found if ours & set(c.outlets) and not theirs & set(c.outlets)]
    if not mine:
        return abstention(plan.question, f"{first} carries no claim that is missing from {second}.")
    citations: list[Citation] = []
    lines = [f"{first} carries {len(mine)} claim(s) missing from {second}:"]
    for claim in mine:
        cell = next(c for c in claim.cells if c.article.outlet in ours)
        citations.append(cite(len(citations) + 1, cell.article, cell.unit.span.start, cell.unit.span.end))
        lines.append("> " + citations[-1].text.replace("\n", "\n> ") + f" [{citations[-1].n}]")
    return Answer(plan.question, "\n".join(lines), False, citations)


def answer(plan: Plan, library: Library) -> Answer | None:
    story = _story(plan, library)
    if not story:
        return None
    if len(story) == 1:
        outlet = library.articles(story)[story[0]].outlet
        lead = f"Only {outlet} among the indexed outlets reports this story; there is no other account to compare."
        return compose(plan, library.retrieval.retrieve(plan.searched, plan.top_k, story), library, lead)
    views = library.article_views(story)
    found = claims(views)
    named = list(plan.outlets)
    if LEAVES_OUT.search(plan.question) and len(plan.groups) == 1:
        group, members = next(iter(plan.groups.items()))
        everyone = {view.article.outlet for view in views}
        return _only_in(
            plan, found, f"The {group} coverage", "the other outlets", set(members), everyone - set(members)
        )
    if len(named) == 2 and LEAVES_OUT.search(plan.question):
        first, second = sorted(named, key=lambda outlet: _position(plan.question, outlet))
        return _only_in(plan, found, first, second, {first}, {second})
    hits = library.retrieval.retrieve(plan.searched, plan.top_k, story)
    reason = unworded_reason(plan, hits, library.actors.names(), settings.STORY_RECALL)
    if reason:
        return abstention(plan.question, reason)
    # Of the best passages' claims, the one most outlets carry: the question asks across outlets.
    units = [
        (hit.node.metadata["article_id"], int(hit.node.metadata["unit"])) for hit in hits[: settings.CLAIMS_CONSIDERED]
    ]
    candidates = [c for c in found if any((cell.article.id, cell.unit.unit) in units for cell in c.cells)]
    claim = max(candidates, key=lambda c: len(c.cells))
    return _cells_answer(plan, claim, len({view.article.outlet for view in views}))
