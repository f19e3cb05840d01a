"""One small component per kind of question: each takes the plan and the library and returns an Answer.

A component that finds its way of answering does not apply (an actor comparison naming actors the
articles do not compare) returns None, and the question is answered as the kind it would otherwise be; so is
one whose answer fails verification against the articles (the failure is kept on the answer given).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from rag.index.library import Library
from rag.question.answer import Answer
from rag.question.components import actor_comparison, did_say, fact, outlet_comparison, sources
from rag.question.plan import Kind, Plan

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

ANSWERERS: dict[Kind, Callable[[Plan, Library], Answer | None]] = {
    "fact": fact.answer,
    "who_said": fact.who_said,
    "did_say": did_say.answer,
    "sources": sources.answer,
    "actors": actor_comparison.answer,
    "outlets": outlet_comparison.answer,
}


def answer(plan: Plan, library: Library, verify: Callable[[Answer], list[str]]) -> Answer | None:
    """The first verified answer among the plan's kind and its fallbacks (ending with the fact component), or
    None when even that fails verification. `verify` lists an answer's problems."""
    withheld: list[str] = []
    while True:
        found = ANSWERERS[plan.kind](plan, library)
        problems = verify(found) if found is not None else []
        if found is not None and not problems:
            return replace(found, verified=True, withheld=withheld)
        if problems:
            withheld.append(f"{plan.kind}: {'; '.join(problems)}")
        if plan.kind == "fact":
            return None
        plan = replace(plan, kind=plan.fallback, fallback="fact")


def decided_on(plan: Plan, library: Library) -> list[tuple[Plan, list[NodeWithScore]]]:
    """Each plan and passages whose answerability a question's component decides: "Did X say Y?" decides on
    its claim, "What did X say?" on X's sentences, a question across outlets on each outlet's passages, the
    rest on the passages ranked for the question. What `train/answer_decision.py` fits the decision on."""
    if plan.kind == "did_say":
        return [did_say.passages(plan, library)]
    if plan.kind == "who_said":
        return [(plan, fact.speaker_passages(plan, library))]
    if plan.kind == "outlets":
        asked = outlet_comparison.asked_outlets(plan, library)
        return [(plan, library.retrieval.retrieve(plan.searched, plan.top_k, ids)) for ids in asked.values()]
    return [(plan, fact.passages(plan, library))]
