"""Fact questions, and "What did X say?": the passages that answer, cited verbatim with their speakers."""

from __future__ import annotations

import re

from rag.answer import Answer
from rag.answers.compose import compose
from rag.answers.speakers import units_spoken_by
from rag.library import Library
from rag.understand import Plan


def answer(plan: Plan, library: Library) -> Answer:
    hits = library.retrieve(plan.searched, plan.top_k, plan.scope)
    return compose(plan, hits, library)


def who_said(plan: Plan, library: Library) -> Answer:
    """Retrieval restricted to the sentences where the speaker asked about speaks (all of them when none)."""
    speaker = plan.speaker or ""
    words = [w for w in re.findall(r"\w+", speaker) if len(w) > 3]
    scope = set(plan.scope) if plan.scope else None
    spoken = units_spoken_by(speaker, library.catalog.speaker_units(words, scope))
    hits = library.retrieve(plan.searched, plan.top_k, plan.scope, spoken or None)
    return compose(plan, hits, library)
