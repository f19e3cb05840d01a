"""Outlet comparison scored against hand labels (`eval/outlets/<story>/`): whether two outlets' sentences
carry the same claim (pairs by character offsets, both kinds), and each outlet's stance for a story's actors.

A labelled sentence stands for the units it overlaps; two sentences are predicted to carry the same claim
when the story's claims put one of their units in the same claim. An outlet's stance for an actor is the
position of that actor's row in that article (the labels' issue is not given to the product), read as the
labels are written: supports, opposes, mixed (concerned or conditional), none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.compare.story_claims import Claim
    from rag.engine import Engine

AS_LABELLED = {"supports": "supports", "opposes": "opposes", "concerned": "mixed", "conditional": "mixed"}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _claims_of(found: list[Claim]) -> dict[tuple[str, int, int], set[int]]:
    """(article id, unit start, unit end) -> the claims (by index) holding that unit."""
    where: dict[tuple[str, int, int], set[int]] = {}
    for n, claim in enumerate(found):
        for cell in claim.cells:
            where.setdefault((cell.article.id, cell.unit.span.start, cell.unit.span.end), set()).add(n)
    return where


def _sentence_claims(where: dict[tuple[str, int, int], set[int]], sentence: dict) -> set[int]:
    return {
        n
        for (article_id, start, end), claims in where.items()
        if article_id == sentence["article_id"] and start < sentence["end"] and sentence["start"] < end
        for n in claims
    }


def claim_pair_scores(found: list[Claim], pairs: list[dict]) -> dict:
    """Precision, recall and F1 of "same claim" over the labelled pairs."""
    where = _claims_of(found)
    predicted = [bool(_sentence_claims(where, p["a"]) & _sentence_claims(where, p["b"])) for p in pairs]
    gold = [bool(p["same_claim"]) for p in pairs]
    hits = sum(g and p for g, p in zip(gold, predicted, strict=True))
    precision = hits / sum(predicted) if any(predicted) else 0.0
    recall = hits / sum(gold) if any(gold) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(pairs), "same": sum(gold), "precision": precision, "recall": recall, "f1": f1}


def _actor_position(engine: Engine, article_id: str, actor: str) -> str:
    """The position the article gives the labelled actor (its first row with a position), or "none"."""
    names = engine.library.actors.names()
    wanted = names.actor_of(actor) or actor
    words = {w.lower() for w in actor.replace(".", " ").split() if len(w) > 3 and w[0].isupper()}
    for row in engine.actor_table(None, [article_id]):
        phrases = " ".join([row.actor, *row.phrases]).lower()
        if (row.actor == wanted or (words and any(w in phrases for w in words))) and row.position in AS_LABELLED:
            return AS_LABELLED[row.position]
    return "none"


def stance_scores(engine: Engine, rows: list[dict]) -> dict:
    """Share of (outlet, actor) rows where the product reads the labelled stance; also among rows the labels
    give a position."""
    read = [_actor_position(engine, r["article_id"], r["actor"]) == r["stance"] for r in rows]
    given = [ok for ok, r in zip(read, rows, strict=True) if r["stance"] != "none"]
    return {
        "rows": len(rows),
        "accuracy": sum(read) / len(rows) if rows else 0.0,
        "with_a_position": len(given),
        "accuracy_with_a_position": sum(given) / len(given) if given else 0.0,
    }


def score_outlet_labels(engine: Engine, labels: Path) -> dict:
    """Both scores for one story whose articles `engine` has ingested (alone)."""
    from rag.compare.story_claims import claims

    found = claims(engine.library.article_views([entry.article.id for entry in engine.articles()]))
    scores = {"claim_pairs": claim_pair_scores(found, read_jsonl(labels / "claim-pairs.jsonl"))}
    if (labels / "stances.jsonl").exists():
        scores["stance"] = stance_scores(engine, read_jsonl(labels / "stances.jsonl"))
    return scores
