""" "Did X say Y?": find who the articles say said Y, and confirm or correct the speaker in their words."""

from __future__ import annotations

from dataclasses import replace

from rag import settings
from rag.actors.names import ActorNames
from rag.attribution.spans import Attribution
from rag.index.library import Library
from rag.index.terms import content_terms, recall
from rag.question.answer import Answer, abstention
from rag.question.answerable import unworded_reason
from rag.question.compose import compose
from rag.question.plan import Plan, understand
from rag.question.speaker_match import speaks_for

UNATTRIBUTED = "The article reports this without attributing it to anyone."


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


def answer(plan: Plan, library: Library) -> Answer:
    """The claim is looked for as a statement of its own, whoever said it; it is in the articles when most of
    its words are in the passage found (the relevance model rates answers to questions, not claims)."""
    claim = understand(plan.claim or plan.question, library.actors.names(), plan.top_k, plan.scope)
    hits = library.retrieval.retrieve(claim.question, plan.top_k, plan.scope)

    def gate(plan: Plan, hits: list, actors: ActorNames) -> str | None:
        return unworded_reason(plan, hits, actors, settings.CLAIM_RECALL)

    reason = gate(claim, hits, library.actors.names())
    if reason:
        return abstention(plan.question, reason)
    top = hits[0].node.metadata
    in_unit = library.attributions_by_unit({top["article_id"]}).get((top["article_id"], int(top["unit"])), [])
    attribution = closest_attribution(claim.question, in_unit)
    lead = UNATTRIBUTED if attribution is None else verdict(plan.speaker or "", attribution)
    return replace(compose(claim, hits[:1], library, lead, 1, gate), question=plan.question)
