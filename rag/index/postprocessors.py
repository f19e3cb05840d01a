"""Node postprocessors of the retrieval pipeline: visible units only, their texts, a speaker filter, the
question-aware reranker (bi-encoder cosine + the question's names and content words), the relevance model,
the answer ranker (a model fitted over those signals), every actor asked about covered, and a plain cut.

Each scoring step keeps what it measured in the candidate's metadata ("cosine", "names", "terms",
"relevance", "answers"): later steps, the answerability decision and `eval` read them there."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from llama_index.core.bridge.pydantic import Field
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle
from pydantic import SkipValidation

from rag import settings
from rag.actors.names import ActorNames
from rag.index.dense import VectorsFor
from rag.index.terms import content_terms, name_terms, recall
from rag.models.linear import LinearModel

# A unit that opens by referring back to the sentence before: a pronoun, a possessive, or "the" and a
# lower-case noun ("the ministry", not "The Ostrian government").
REFERS_BACK = re.compile(r"^\W*(?:(?i:he|she|it|they|we|his|her|its|their|this|that|these|those)\b|(?i:the)\s+[a-z])")
SENTENCE_END = re.compile(r"[.!?][\"”’)]*\s+")
CONTEXT_CHARS = 600  # looked back for the sentence before


class VisibleUnits(BaseNodePostprocessor):
    """Keeps units of committed article versions only, optionally of chosen articles."""

    # Not validated: pydantic would copy the whole map (100,000 articles: 15 ms per question).
    committed: SkipValidation[dict[str, str]] = Field(description="article id -> committed content hash")
    article_ids: frozenset[str] | None = Field(default=None, description="restrict to these articles")

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        return [
            hit
            for hit in nodes
            if self.committed.get(hit.node.metadata.get("article_id")) == hit.node.metadata.get("content_hash")
            and (self.article_ids is None or hit.node.metadata["article_id"] in self.article_ids)
        ]


class UnitTexts(BaseNodePostprocessor):
    """Gives each candidate its text, sliced from its article: units are stored without it. Runs after
    `VisibleUnits`, so every candidate is of the article version the catalog holds."""

    texts_of: Callable[[set[str]], dict[str, str]] = Field(exclude=True, description="article id -> text")

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        texts = self.texts_of({hit.node.metadata["article_id"] for hit in nodes})
        kept = [hit for hit in nodes if hit.node.metadata["article_id"] in texts]  # not removed meanwhile
        for hit in kept:
            meta = hit.node.metadata
            hit.node.set_content(texts[meta["article_id"]][int(meta["start"]) : int(meta["end"])])
        return kept


class SpokenBy(BaseNodePostprocessor):
    """Keeps units holding a cue of one of the speaker phrases, looked up for the candidates only."""

    speakers: frozenset[str] = Field(description="lower-cased speaker phrases")
    speakers_of: Callable[[set[tuple[str, int]]], dict[tuple[str, int], set[str]]] = Field(exclude=True)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        def key(hit: NodeWithScore) -> tuple[str, int]:
            return hit.node.metadata["article_id"], int(hit.node.metadata["unit"])

        phrases = self.speakers_of({key(hit) for hit in nodes})
        return [hit for hit in nodes if phrases.get(key(hit), set()) & self.speakers]


class FirstN(BaseNodePostprocessor):
    """The first n candidates as they come (the last step of pipelines that do not rerank)."""

    n: int = Field(default=5)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        return nodes[: self.n]


class QuestionAwareReranker(BaseNodePostprocessor):
    """Reorders candidates by cosine + weighted recall of the question's names and content words (a name
    counts as present when the candidate names its actor otherwise).

    Cheap (the stored vectors and word sets), it picks the candidates the relevance model reads, and orders
    the last stage of the pipelines eval compares without that model.
    """

    vectors_for: VectorsFor = Field(exclude=True)
    actors: ActorNames = Field(exclude=True, description="names that stand for one actor ('La Paz' for Bolivia)")
    top_n: int = Field(default=5)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None or query_bundle.embedding is None or not nodes:
            return nodes[: self.top_n]
        query = np.asarray(query_bundle.embedding)
        vectors = self.vectors_for([hit.node.node_id for hit in nodes])
        names = name_terms(query_bundle.query_str)
        asked = self.actors.actors_in(query_bundle.query_str)
        terms = content_terms(query_bundle.query_str)
        rescored = []
        for hit in nodes:
            text = hit.node.get_content()
            present = content_terms(f"{text} {self.actors.named_in(asked, text)}")
            signals = {
                "cosine": float(np.dot(query, vectors[hit.node.node_id])),
                "names": recall(names, present),
                "terms": recall(terms, present),
            }
            hit.node.metadata.update(signals)
            words = settings.NAME_WEIGHT * signals["names"] + settings.TERM_WEIGHT * signals["terms"]
            score = signals["cosine"] + words
            rescored.append(NodeWithScore(node=hit.node, score=score))
        rescored.sort(key=lambda hit: hit.score or 0.0, reverse=True)
        return rescored[: self.top_n]


class RelevanceReranker(BaseNodePostprocessor):
    """Reorders candidates by the relevance model's probability that each answers the question.

    A sentence that leans on the one before ("His government would fund …", "The ministry said …") is read
    with it. Each hit's score becomes that probability, also kept as `metadata["relevance"]`, which decides
    whether the corpus answers the question at all. Ties keep the order the candidates came in.
    """

    score: Callable[[str, list[tuple[str, str]]], np.ndarray] = Field(exclude=True)
    texts_of: Callable[[set[str]], dict[str, str]] = Field(exclude=True, description="article id -> text")
    top_n: int = Field(default=5)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None or not nodes:
            return nodes[: self.top_n]
        texts = self.texts_of({hit.node.metadata["article_id"] for hit in nodes})
        passages = [
            (hit.node.get_content(), leaning_on(texts.get(hit.node.metadata["article_id"], ""), hit)) for hit in nodes
        ]
        scores = self.score(query_bundle.query_str, passages)
        rescored = []
        for hit, score in zip(nodes, scores, strict=True):
            hit.node.metadata["relevance"] = float(score)
            rescored.append(NodeWithScore(node=hit.node, score=float(score)))
        rescored.sort(key=lambda hit: hit.score or 0.0, reverse=True)
        return rescored[: self.top_n]


def logit(probability: float) -> float:
    p = min(max(probability, 1e-4), 1 - 1e-4)
    return float(np.log(p / (1 - p)))


def passage_signals(nodes: list[NodeWithScore]) -> list[dict[str, float]]:
    """What the answer ranker reads of each candidate: the relevance model's log-odds, the cosine, the share of
    the question's names and words it holds, and how far its cosine and log-odds fall behind the best
    candidate's (a passage is judged against its rivals)."""
    metas = [hit.node.metadata for hit in nodes]
    logits = [logit(float(meta.get("relevance", 0.0))) for meta in metas]
    cosines = [float(meta.get("cosine", 0.0)) for meta in metas]
    best_logit, best_cosine = max(logits, default=0.0), max(cosines, default=0.0)
    return [
        {
            "relevance": lg,
            "cosine": cos,
            "names": float(meta.get("names", 0.0)),
            "terms": float(meta.get("terms", 0.0)),
            "relevance_gap": lg - best_logit,
            "cosine_gap": cos - best_cosine,
        }
        for meta, lg, cos in zip(metas, logits, cosines, strict=True)
    ]


class AnswerRanker(BaseNodePostprocessor):
    """Reorders candidates by a model fitted over the signals the earlier steps measured (`passage_signals`):
    the probability that each holds the answer, kept as `metadata["answers"]`. Neither the relevance model nor
    the cosine alone ranks news sentences best (`train/answer_decision.py` measures each, story by story)."""

    model: SkipValidation[LinearModel] = Field(exclude=True)
    top_n: int = Field(default=5)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        rescored = []
        for hit, signals in zip(nodes, passage_signals(nodes), strict=True):
            probability = self.model.probability(signals)
            hit.node.metadata["answers"] = probability
            rescored.append(NodeWithScore(node=hit.node, score=probability))
        rescored.sort(key=lambda hit: hit.score or 0.0, reverse=True)
        return rescored[: self.top_n]


class AskedActorsCovered(BaseNodePostprocessor):
    """The best `top_n` candidates, so changed that every actor a question names is in one of them when any
    candidate names it ("Do EU officials and Donald Trump agree?" needs a passage with Trump even when the
    EU's passages rank higher): the best candidate naming a missing actor takes the place of the lowest-ranked
    one whose actors the others name."""

    actors: ActorNames = Field(exclude=True)
    top_n: int = Field(default=5)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        chosen = nodes[: self.top_n]
        asked = set(self.actors.actors_in(query_bundle.query_str)) if query_bundle is not None else set()
        if len(asked) < 2:
            return chosen
        named = {id(hit): asked & set(self.actors.actors_in(hit.node.get_content())) for hit in nodes}
        for candidate in nodes[self.top_n :]:
            covered = set().union(*(named[id(hit)] for hit in chosen))
            if not named[id(candidate)] - covered:
                continue
            for i in reversed(range(len(chosen))):
                others = set().union(*(named[id(hit)] for hit in chosen if hit is not chosen[i]))
                if named[id(chosen[i])] <= others | named[id(candidate)]:
                    chosen = [*chosen[:i], *chosen[i + 1 :], candidate]
                    break
        return chosen


def leaning_on(article: str, hit: NodeWithScore) -> str:
    """The sentence before a unit that opens by referring back ("His government …", "The ministry …",
    "They …"), or "" for a unit that stands alone."""
    start = int(hit.node.metadata["start"])
    if not REFERS_BACK.match(hit.node.get_content()):
        return ""
    before = article[max(0, start - CONTEXT_CHARS) : start].rstrip()
    ends = [m.end() for m in SENTENCE_END.finditer(before[:-1])]
    return before[ends[-1] :].strip() if ends else before.strip()
