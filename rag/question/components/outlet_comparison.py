"""Questions across outlets ("Do the outlets agree on …?", "Which reports say …?", "What does A include
that B does not?"), answered from the story's claims: which outlets carry the claim the question is
about, in their exact sentences, and where their accounts differ."""

from __future__ import annotations

import re

from rag import settings
from rag.compare.article_pairs import stories
from rag.compare.positions import ActorRow, Evidence
from rag.compare.story_claims import NUMBER, Claim, claims
from rag.index.library import Library
from rag.question.answer import Answer, Citation, abstention, cite
from rag.question.answerable import unworded_reason
from rag.question.compose import compose
from rag.question.plan import Plan

LEAVES_OUT = re.compile(r"\b(?:not|n['’]t|leaves? out|omits?|drops?|miss(?:es)?|lacks?)\b", re.IGNORECASE)
ASKS_POSITION = re.compile(r"\b(?:positions?|stances?|views?|stand)\b", re.IGNORECASE)


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
    """Where the question first names an outlet (by any word of its name, in any case: "karsa today")."""
    words = [w for w in re.findall(r"[\w’'-]{4,}", outlet) if not w.isdigit()]
    spots = [m.start() for w in words if (m := re.search(rf"\b{re.escape(w)}\b", question, re.IGNORECASE))]
    return min(spots, default=len(question))


def _cells_answer(plan: Plan, claim: Claim, total: int) -> Answer:
    """The claim's cells, counting as carrying it only the outlets that give the figures the question names
    ("Which outlets say the dam would power 400,000 homes?"); the others' figures are listed beside."""
    citations = [cite(n, c.article, c.unit.span.start, c.unit.span.end) for n, c in enumerate(claim.cells, 1)]
    asked = NUMBER.findall(plan.question)
    given = [c for c in citations if all(figure in c.text for figure in asked)]
    marks = "".join(f"[{c.n}]" for c in given)
    carrying = len({c.outlet for c in given})
    share = f"All {total}" if carrying == total else f"{carrying} of {total}"
    lines = [f"{share} outlets carry this claim. {marks}"]
    others = [c for c in citations if c not in given]
    if others:
        quoted = {c.n: ", ".join(f"“{n}”" for n in NUMBER.findall(c.text)) or "no figure" for c in others}
        figures = "; ".join(f"{quoted[c.n]} in {c.outlet} [{c.n}]" for c in others)
        lines.append(f"With other figures: {figures}.")
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


def _evidence_of(actor: str, rows: list[ActorRow]) -> Evidence | None:
    """The first evidence with a stance among an article's rows for the actor (rows are matched by the actor's
    last name word, so "Kennedy" finds "Robert F. Kennedy Jr" too)."""
    last = actor.split()[-1].lower()
    for row in rows:
        if row.actor == actor or last in row.actor.lower().split():
            found = next((e for e in row.evidence if e.position != "no stated position"), None)
            if found:
                return found
    return None


def _actor_positions(plan: Plan, library: Library, story: list[str]) -> Answer | None:
    """ "Do the outlets agree on X's position?": every outlet that gives X a position, by the stance its text
    gives X (the actor's own clause or statement), with the sentence as evidence."""
    actor = next(iter(plan.actors))
    articles = library.articles(story)
    found = {}
    for article_id in story:
        evidence = _evidence_of(actor, library.actor_table(None, [article_id]))
        if evidence is not None:
            found[article_id] = evidence
    if not found:
        return None
    citations = [cite(n, articles[a], e.sentence.start, e.sentence.end) for n, (a, e) in enumerate(found.items(), 1)]
    by_position: dict[str, list[Citation]] = {}
    for citation, evidence in zip(citations, found.values(), strict=True):
        by_position.setdefault(evidence.position, []).append(citation)
    readings = "; ".join(
        f"{position} in " + ", ".join(f"{c.outlet} [{c.n}]" for c in cited) for position, cited in by_position.items()
    )
    silent = len(story) - len(found)
    lines = [f"{len(found)} of {len(story)} outlets give {actor} a position: {readings}."]
    if silent:
        lines[0] += f" The other {silent} state none."
    for citation in citations:
        lines += [f"{citation.outlet} ({citation.date}) reports:", f"> {citation.text} [{citation.n}]"]
    return Answer(plan.question, "\n".join(lines), False, citations)


def answer(plan: Plan, library: Library) -> Answer | None:
    story = _story(plan, library)
    if not story:
        return None
    if len(story) == 1:
        outlet = library.articles(story)[story[0]].outlet
        lead = f"Only {outlet} among the indexed outlets reports this story; there is no other account to compare."
        return compose(plan, library.retrieval.retrieve(plan.searched, plan.top_k, story), library, lead)
    if len(plan.actors) == 1 and ASKS_POSITION.search(plan.question) and not plan.outlets:
        return _actor_positions(plan, library, story)
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
