"""Fact questions, and "What did X say?": the passages that answer, cited verbatim with their speakers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag import settings
from rag.actors.names import ActorNames
from rag.index.library import Library
from rag.question.answer import Answer
from rag.question.answerable import unworded_reason
from rag.question.compose import compose
from rag.question.plan import Plan
from rag.question.speaker_match import phrases_naming

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore


def answer(plan: Plan, library: Library) -> Answer:
    top_k = max(plan.top_k, settings.VALUES_CITED) if plan.expects else plan.top_k
    return compose(plan, library.retrieval.retrieve(plan.searched, top_k, plan.scope), library)


def who_said(plan: Plan, library: Library) -> Answer:
    """Retrieval restricted to the sentences where the speaker asked about speaks (all of them when none),
    ranked by the relevance model. Any of them answers "What did X say?"; one about the topic asked ("… about
    Y?") comes first, and most of the question's words must be in them."""
    speaker = plan.speaker or ""
    words = [w for w in re.findall(r"\w+", speaker) if len(w) > 3]
    phrases = phrases_naming(speaker, library.catalog.speakers.phrases(words))
    hits = library.retrieval.retrieve(plan.searched, plan.top_k, plan.scope, phrases or None)
    return compose(plan, hits, library, gate=_speaker_gate)


def _speaker_gate(plan: Plan, hits: list[NodeWithScore], actors: ActorNames) -> str | None:
    return unworded_reason(plan, hits, actors, settings.CLAIM_RECALL)
