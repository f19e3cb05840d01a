"""Fact questions, and "What did X say?": the passages that answer, cited verbatim with their speakers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag import settings
from rag.index.library import Library
from rag.question.answer import Answer, abstention
from rag.question.answerable import unanswered_reason
from rag.question.compose import compose
from rag.question.plan import Plan
from rag.question.speaker_match import phrases_naming

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore


def passages(plan: Plan, library: Library) -> list[NodeWithScore]:
    """The passages ranked for the question, within the articles it names; a question asking for a value reads
    more of them, so each outlet's value can be cited."""
    top_k = max(plan.top_k, settings.VALUES_CITED) if plan.expects else plan.top_k
    return library.retrieval.retrieve(plan.searched, top_k, plan.scope)


def speaker_passages(plan: Plan, library: Library) -> list[NodeWithScore]:
    """The sentences where the speaker asked about speaks (every sentence when no phrase names them, so the
    decision sees the speaker missing), ranked for the question: one about the topic asked ("… about Y?")
    comes first."""
    speaker = plan.speaker or ""
    words = [w for w in re.findall(r"\w+", speaker) if len(w) > 3]
    phrases = phrases_naming(speaker, library.catalog.speakers.phrases(words))
    return library.retrieval.retrieve(plan.searched, plan.top_k, plan.scope, phrases or None)


def answer(plan: Plan, library: Library) -> Answer:
    return _answered(plan, passages(plan, library), library)


def who_said(plan: Plan, library: Library) -> Answer:
    return _answered(plan, speaker_passages(plan, library), library)


def _answered(plan: Plan, hits: list[NodeWithScore], library: Library) -> Answer:
    reason = unanswered_reason(plan, hits, library)
    return abstention(plan.question, reason) if reason else compose(plan, hits, library)
