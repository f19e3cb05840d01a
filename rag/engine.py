"""The one façade the CLI and the page share: ingest, list, remove, ask. Heavy models load lazily."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rag.answer import Answer, abstention, check_question, compose, verify
from rag.config import Config, go_offline
from rag.ingest import IngestReport, ingest, remove_article
from rag.store import Catalog, CatalogEntry, chroma_client, unit_collection

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from llama_index.core import VectorStoreIndex
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore

DEFAULT_TOP_K = 5
RetrievalMode = Literal["dense", "bm25", "hybrid", "hybrid+rerank"]
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = ("dense", "bm25", "hybrid", "hybrid+rerank")


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        go_offline()
        self.config = config or Config.from_env()
        self.catalog = Catalog(self.config)
        self._lexical: tuple[dict[str, str], BaseRetriever | None] | None = None

    @cached_property
    def collection(self) -> Collection:
        return unit_collection(chroma_client(self.config))

    @cached_property
    def index(self) -> VectorStoreIndex:
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from rag.embedding import embed_model

        return VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=self.collection), embed_model=embed_model()
        )

    def articles(self) -> list[CatalogEntry]:
        return self.catalog.entries()

    def ingest(self, paths: Iterable[str | Path] | None = None, progress: bool = True) -> IngestReport:
        return ingest(paths or [self.config.corpus_dir], self.catalog, self.collection, progress)

    def remove(self, article_id: str) -> bool:
        return remove_article(article_id, self.catalog, self.collection)

    def _lexical_retriever(self, committed: dict[str, str]) -> BaseRetriever | None:
        """BM25 over the visible units, rebuilt only when the set of committed versions changed."""
        if self._lexical is None or self._lexical[0] != committed:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            from rag.retrieve import lexical_retriever

            nodes = ChromaVectorStore(chroma_collection=self.collection).get_nodes(None)
            visible = [
                n for n in nodes if committed.get(n.metadata.get("article_id")) == n.metadata.get("content_hash")
            ]
            self._lexical = (committed, lexical_retriever(visible))
        return self._lexical[1]

    def _vectors(self, node_ids: list[str]) -> dict[str, list[float]]:
        found = self.collection.get(ids=node_ids, include=["embeddings"])
        return dict(zip(found["ids"], found["embeddings"], strict=True))

    def retrieve(
        self,
        question: str,
        top_k: int = DEFAULT_TOP_K,
        article_ids: Sequence[str] | None = None,
        mode: RetrievalMode = "hybrid+rerank",
    ) -> list[NodeWithScore]:
        """Candidates (dense, BM25 or both fused) -> visible units only -> optional question-aware rerank."""
        from llama_index.core.schema import QueryBundle

        from rag.embedding import embed_model
        from rag.retrieve import QuestionAwareReranker, VisibleUnits, hybrid_retriever

        committed = self.catalog.hashes()
        if not committed:
            return []
        bundle = QueryBundle(question, embedding=embed_model().get_query_embedding(question))
        lexical = self._lexical_retriever(committed)
        if mode == "bm25":
            retriever = lexical
        elif mode == "dense":
            retriever = hybrid_retriever(self.index, None, article_ids)
        else:
            retriever = hybrid_retriever(self.index, lexical, article_ids)
        hits = retriever.retrieve(bundle) if retriever else []
        visible = VisibleUnits(committed=committed, article_ids=frozenset(article_ids) if article_ids else None)
        hits = visible.postprocess_nodes(hits, bundle)
        if mode != "hybrid+rerank":
            return hits[:top_k]
        return QuestionAwareReranker(vectors_for=self._vectors, top_n=top_k).postprocess_nodes(hits, bundle)

    def ask(self, question: str, top_k: int = DEFAULT_TOP_K, article_ids: Sequence[str] | None = None) -> Answer:
        """A verified answer; raises QuestionError for a question that cannot be asked."""
        question = check_question(question)
        hits = self.retrieve(question, top_k, article_ids)
        texts = self.catalog.texts({hit.node.metadata["article_id"] for hit in hits})
        answer = compose(question, hits, texts)
        problems = verify(answer, texts)
        if problems:
            print(f"answer withheld, verification failed: {'; '.join(problems)}", file=sys.stderr)
            answer = abstention(question, "An answer was found but failed verification against the articles.")
        answer.verified = True
        return answer
