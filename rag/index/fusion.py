"""Combining retrievers: reciprocal-rank fusion (no LLM query rewriting), and a filter applied before it."""

from __future__ import annotations

from llama_index.core.llms import MockLLM
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from rag import settings


class Filtered(BaseRetriever):
    """A retriever's candidates through a postprocessor before they are fused with another's: filtered after
    fusion, a scope keeps only what made the fused cut (of 40 out of 240 dense and 40 BM25 candidates)."""

    def __init__(self, retriever: BaseRetriever, keep: BaseNodePostprocessor) -> None:
        super().__init__()
        self._retriever, self._keep = retriever, keep

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self._keep.postprocess_nodes(self._retriever.retrieve(query_bundle), query_bundle)


def hybrid_retriever(dense: BaseRetriever | None, lexical: BaseRetriever | None) -> BaseRetriever | None:
    """Dense + BM25 candidates fused by reciprocal rank (no LLM query rewriting); either alone when the other
    is left out."""
    if dense is None or lexical is None:
        return dense or lexical
    return fused([dense, lexical])


def fused(retrievers: list[BaseRetriever]) -> BaseRetriever:
    return QueryFusionRetriever(
        retrievers,
        llm=MockLLM(),
        mode="reciprocal_rerank",
        num_queries=1,
        use_async=False,
        similarity_top_k=settings.FUSED_CANDIDATES,
    )
