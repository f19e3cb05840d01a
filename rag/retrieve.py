"""Hybrid retrieval with llama-index: dense (Chroma) + BM25, fused by reciprocal rank, then reranked.

No cross-encoder ships offline, so the reranker combines what we have: the bi-encoder cosine of each
candidate (recomputed from its stored vector, since fusion replaces scores by ranks) and how many of the
question's names and content words the candidate contains. `python -m rag eval-retrieval` measures each stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import Stemmer
from llama_index.core import VectorStoreIndex
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import MockLLM
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle
from llama_index.core.vector_stores import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters
from llama_index.retrievers.bm25 import BM25Retriever

from rag.lexical import content_terms, name_terms, recall

# Chosen on eval/qa-seed.jsonl (hit@1 0.84 dense, 0.90 fused, 0.94 reranked); see the README's figures.
NAME_WEIGHT = 0.1
TERM_WEIGHT = 0.2
CANDIDATES_PER_RETRIEVER = 20
# Chroma rejects filter expressions deeper than 1,000; past this many articles, unit filters run after retrieval.
MAX_FILTERED_ARTICLES = 200


class NonZeroBM25Retriever(BM25Retriever):
    """BM25 pads its top-k with zero-score documents that share no word with the query: drop them."""

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [hit for hit in super()._retrieve(query_bundle) if (hit.score or 0.0) > 0.0]


class VisibleUnits(BaseNodePostprocessor):
    """Keeps units of committed article versions only, optionally of chosen articles."""

    committed: dict[str, str] = Field(description="article id -> committed content hash")
    article_ids: frozenset[str] | None = Field(default=None, description="restrict to these articles")
    units: frozenset[tuple[str, int]] | None = Field(default=None, description="restrict to these units")

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        return [
            hit
            for hit in nodes
            if self.committed.get(hit.node.metadata.get("article_id")) == hit.node.metadata.get("content_hash")
            and (self.article_ids is None or hit.node.metadata["article_id"] in self.article_ids)
            and (self.units is None or (hit.node.metadata["article_id"], hit.node.metadata["unit"]) in self.units)
        ]


class QuestionAwareReranker(BaseNodePostprocessor):
    """Reorders candidates by cosine + weighted recall of the question's names and content words.

    Each hit's score becomes that combined score; `metadata["cosine"]` keeps the raw similarity, which
    the answerer uses to decide whether the corpus answers the question at all.
    """

    vectors_for: Callable[[list[str]], dict[str, list[float]]] = Field(exclude=True)
    top_n: int = Field(default=5)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None or query_bundle.embedding is None or not nodes:
            return nodes[: self.top_n]
        query = np.asarray(query_bundle.embedding)
        vectors = self.vectors_for([hit.node.node_id for hit in nodes])
        names = name_terms(query_bundle.query_str)
        terms = content_terms(query_bundle.query_str)
        rescored = []
        for hit in nodes:
            cosine = float(np.dot(query, vectors[hit.node.node_id]))
            present = content_terms(hit.node.get_content())
            score = cosine + NAME_WEIGHT * recall(names, present) + TERM_WEIGHT * recall(terms, present)
            hit.node.metadata["cosine"] = cosine
            rescored.append(NodeWithScore(node=hit.node, score=score))
        rescored.sort(key=lambda hit: hit.score or 0.0, reverse=True)
        return rescored[: self.top_n]


def scope_filters(
    article_ids: Sequence[str] | None, units: Iterable[tuple[str, int]] | None = None
) -> MetadataFilters | None:
    """Chroma-side filters for a set of articles, or for given units (e.g. the sentences where X speaks)."""
    if units is not None:
        by_article: dict[str, list[int]] = {}
        for article_id, unit in units:
            by_article.setdefault(article_id, []).append(unit)
        if len(by_article) > MAX_FILTERED_ARTICLES:
            return None  # too many for one Chroma expression: `VisibleUnits` restricts the candidates instead
        return MetadataFilters(
            filters=[
                MetadataFilters(
                    filters=[
                        MetadataFilter(key="article_id", value=article_id),
                        MetadataFilter(key="unit", value=sorted(unit_list), operator=FilterOperator.IN),
                    ],
                    condition=FilterCondition.AND,
                )
                for article_id, unit_list in by_article.items()
            ],
            condition=FilterCondition.OR,
        )
    if not article_ids:
        return None
    return MetadataFilters(
        filters=[MetadataFilter(key="article_id", value=list(article_ids), operator=FilterOperator.IN)]
    )


def lexical_retriever(nodes: list[BaseNode]) -> BaseRetriever | None:
    """BM25 over every visible unit; rebuilt by the engine only when the catalog changes."""
    if not nodes:
        return None
    return NonZeroBM25Retriever.from_defaults(
        nodes=nodes,
        similarity_top_k=min(4 * CANDIDATES_PER_RETRIEVER, len(nodes)),
        stemmer=Stemmer.Stemmer("english"),
        language="en",
    )


def hybrid_retriever(
    index: VectorStoreIndex, lexical: BaseRetriever | None, filters: MetadataFilters | None
) -> BaseRetriever:
    """Dense + BM25 candidates fused by reciprocal rank (no LLM query rewriting)."""
    dense = index.as_retriever(similarity_top_k=CANDIDATES_PER_RETRIEVER, filters=filters)
    if lexical is None:
        return dense
    return QueryFusionRetriever(
        [dense, lexical],
        llm=MockLLM(),
        mode="reciprocal_rerank",
        num_queries=1,
        use_async=False,
        similarity_top_k=4 * CANDIDATES_PER_RETRIEVER,
    )
