""" "Did X say Y?": find the sentence that carries Y, and who the article says said it; confirm or correct the
speaker in the article's words."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.attribution.spans import Attribution, Span
from rag.index.library import Library
from rag.index.terms import content_terms, recall
from rag.question.answer import Answer, abstention
from rag.question.answerable import unanswered_reason
from rag.question.compose import cite_passages
from rag.question.plan import Plan, understand
from rag.question.speaker_match import speaks_for
from rag.store.speaker_index import StoredAttribution

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

UNATTRIBUTED = "The article reports this without attributing it to anyone."
# A content that only points back at the sentence before ("This was announced by …", "That, he said, …").
POINTS_BACK = re.compile(r"(?i:this|that|these|those|it)")


def closest_attribution(claim: str, candidates: list[Attribution]) -> Attribution | None:
    """The attribution whose content shares most of the claim's words."""
    terms = content_terms(claim)
    scored = [(recall(terms, content_terms(a.content.text)), a) for a in candidates]
    best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    return best[1] if best[0] > 0 else None


def verdict(asked: str, attribution: Attribution) -> str:
    """Confirm the speaker, or correct it with the article's own words."""
    speaker = attribution.speaker
    asked_plain = asked.strip().strip('“”"«»')
    if speaker is None:
        cue = attribution.cue.text
        return f"The article reports this without naming a source (cue “{cue}”), not as said by {asked_plain}."
    if speaks_for(asked, attribution):
        return f"Yes: the article attributes this to “{speaker.text}” (cue “{attribution.cue.text}”)."
    return (
        f"No: the article does not attribute this to {asked_plain}; it attributes it to “{speaker.text}” "
        f"(cue “{attribution.cue.text}”)."
    )


def passages(plan: Plan, library: Library) -> tuple[Plan, list[NodeWithScore]]:
    """The claim as a question of its own, and the passages ranked for it, whoever said it."""
    claim = understand(plan.claim or plan.question, library.actors.names(), plan.top_k, plan.scope)
    return claim, library.retrieval.retrieve(claim.question, plan.top_k, plan.scope)


def carrying(claim: str, hit: NodeWithScore, library: Library) -> StoredAttribution | None:
    """The attribution of the passage: the one whose content is in it and shares most of the claim's words (its
    cue may be in the passage, "X said …", or in the next sentence, "… dropped. This was announced by X"), or
    else one in the next sentence whose content only points back at it ("This was announced by X")."""
    meta = hit.node.metadata
    passage = Span(int(meta["start"]), int(meta["end"]), "")
    stored = [item for item in library.catalog.speakers.attributions({meta["article_id"]}) if item.unit is not None]
    inside = [item for item in stored if item.attribution.content.overlaps(passage)]
    chosen = closest_attribution(claim, [item.attribution for item in inside])
    found = next((item for item in inside if item.attribution is chosen), None)
    pointing = (
        item
        for item in stored
        if item.unit == int(meta["unit"]) + 1 and POINTS_BACK.fullmatch(item.attribution.content.text.strip())
    )
    return found or next(pointing, None)


def answer(plan: Plan, library: Library) -> Answer:
    """The claim's best passage, with the sentence that attributes it when that is another one."""
    claim, hits = passages(plan, library)
    reason = unanswered_reason(claim, hits, library)
    if reason:
        return abstention(plan.question, reason)
    top = hits[0]
    found = carrying(claim.question, top, library)
    cited = [top]
    if found is not None and found.unit != int(top.node.metadata["unit"]):
        beside = library.passage(top.node.metadata["article_id"], found.unit)
        cited += [beside] if beside is not None else []
    cited.sort(key=lambda hit: int(hit.node.metadata["start"]))
    lead = UNATTRIBUTED if found is None else verdict(plan.speaker or "", found.attribution)
    answered = cite_passages(claim, cited, library, lead)
    return Answer(plan.question, answered.answer, False, answered.citations, answered.attributions)
