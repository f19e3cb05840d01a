"""The read side of the index: committed articles, their units in Chroma, BM25, actors, one retrieval pipeline.

Answer components read everything they need through a `Library`; only `Engine` writes. Heavy models
and indexes load on first use.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.actors.names import ActorNames, place_names, read_alias_file
from rag.answer import QuestionError
from rag.attribution.spans import Attribution, Span
from rag.config import Config
from rag.corpus import Article
from rag.store import Catalog, chroma_client, unit_collection, unit_id

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from llama_index.core import VectorStoreIndex
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle

    from rag.compare.actors import ActorRow
    from rag.compare.articles import ArticleView
    from rag.retrieve import LexicalIndex

# Units read from Chroma per request when building BM25 (one unbounded get fails past ~30k units).
CHROMA_PAGE = 5000
# Evidence this close to a comparison topic (bi-encoder cosine) counts for it.
TOPIC_COSINE = 0.3
ALIAS_FILE = "actors.yaml"
Outlets = tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]


class Library:
    def __init__(self, config: Config, catalog: Catalog) -> None:
        self.config = config
        self.catalog = catalog
        self._actor_rows: dict[tuple[str, str], list[ActorRow]] = {}  # (article id, content hash) -> rows
        self._names: tuple[tuple, ActorNames] | None = None  # (what they were read from, names)
        self._outlets: tuple[dict[str, str], Outlets] | None = None  # (catalog map read from, outlets and groups)

    @cached_property
    def collection(self) -> Collection:
        return unit_collection(chroma_client(self.config))

    @cached_property
    def lexical(self) -> LexicalIndex:
        from rag.retrieve import LexicalIndex

        return LexicalIndex(self.stored_units, self.config.home / "bm25")

    @cached_property
    def index(self) -> VectorStoreIndex:
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from rag.embedding import embed_model

        return VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=self.collection), embed_model=embed_model()
        )

    @property
    def alias_file(self) -> Path:
        """A maintainer's actor aliases beside the articles (`actor: [name, ...]`)."""
        return self.config.corpus_dir / ALIAS_FILE

    def actor_names(self) -> ActorNames:
        """Places, the names found in the indexed articles and the alias file; re-read when one changed.

        A broken alias file is reported (and by `check`) and left out, so questions still get answers.
        """
        committed = self.catalog.hashes()
        stat = self.alias_file.stat() if self.alias_file.is_file() else None
        aliases = (stat.st_mtime_ns, stat.st_size) if stat else None
        if self._names is None or self._names[0][0] is not committed or self._names[0][1] != aliases:
            user = []
            if aliases is not None:
                try:
                    user = read_alias_file(self.alias_file)
                except ValueError as exc:
                    print(f"actor aliases ignored: {exc}", file=sys.stderr)
            self._names = ((committed, aliases), ActorNames([*place_names(), *self.catalog.actor_names(), *user]))
            self._actor_rows = {}
        return self._names[1]

    def outlets(self) -> Outlets:
        """Outlet -> article ids, and outlet group -> outlets; re-read only when the catalog changed."""
        committed = self.catalog.hashes()
        if self._outlets is None or self._outlets[0] is not committed:
            self._outlets = (committed, (self.catalog.outlets(), self.catalog.outlet_groups()))
        return self._outlets[1]

    def stored_units(self, article_ids: Iterable[str] | None) -> list[BaseNode]:
        """Units as llama-index nodes, read from Chroma in pages: of the given articles, or all of them."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        where = {"article_id": {"$in": sorted(article_ids)}} if article_ids is not None else None
        nodes: list[BaseNode] = []
        while True:
            page = self.collection.get(
                where=where, limit=CHROMA_PAGE, offset=len(nodes), include=["documents", "metadatas"]
            )
            nodes += [
                metadata_dict_to_node(m, text=t) for t, m in zip(page["documents"], page["metadatas"], strict=True)
            ]
            if len(page["ids"]) < CHROMA_PAGE:
                return nodes

    def _scope_ids(
        self, committed: dict[str, str], article_ids: Sequence[str] | None, units: set[tuple[str, int]] | None
    ) -> list[str] | None:
        """Chroma ids of the units a question is restricted to; None when it may use the whole corpus."""
        if units is not None:
            return sorted(
                unit_id(a, committed[a], u)
                for a, u in units
                if a in committed and (not article_ids or a in article_ids)
            )
        if not article_ids:
            return None
        counts = self.catalog.unit_counts(set(article_ids) & committed.keys())
        return [unit_id(a, committed[a], u) for a, n in counts.items() for u in range(n)]

    def _vectors(self, node_ids: list[str]) -> dict[str, list[float]]:
        found = self.collection.get(ids=node_ids, include=["embeddings"])
        return dict(zip(found["ids"], found["embeddings"], strict=True))

    def query(self, question: str) -> QueryBundle:
        """The question with its embedding, computed once for every retriever and postprocessor."""
        from llama_index.core.schema import QueryBundle

        from rag.embedding import embed_model

        return QueryBundle(question, embedding=embed_model().get_query_embedding(question))

    def pipeline(
        self,
        top_k: int,
        article_ids: Sequence[str] | None = None,
        units: set[tuple[str, int]] | None = None,
        dense: bool = True,
        lexical: bool = True,
        rerank: bool = True,
    ) -> RetrieverQueryEngine | None:
        """Candidates (dense, BM25 or both fused) -> visible units only -> question-aware rerank, as one
        llama-index query engine; None when nothing is in scope. Answers use the default; eval compares."""
        from llama_index.core.llms import MockLLM
        from llama_index.core.query_engine import RetrieverQueryEngine
        from llama_index.core.response_synthesizers.no_text import NoText

        from rag.retrieve import FirstN, QuestionAwareReranker, VisibleUnits, hybrid_retriever

        committed = self.catalog.hashes()
        scope_ids = self._scope_ids(committed, article_ids, units)
        if not committed or scope_ids == []:
            return None
        bm25 = self.lexical.retriever(committed) if lexical else None
        retriever = hybrid_retriever(self.index, bm25, scope_ids) if dense else bm25
        if retriever is None:
            return None
        visible = VisibleUnits(
            committed=committed,
            article_ids=frozenset(article_ids) if article_ids else None,
            units=frozenset(units) if units is not None else None,
        )
        last = (
            QuestionAwareReranker(vectors_for=self._vectors, actors=self.actor_names(), top_n=top_k)
            if rerank
            else FirstN(n=top_k)
        )
        return RetrieverQueryEngine(retriever, NoText(llm=MockLLM()), node_postprocessors=[visible, last])

    def retrieve(
        self,
        question: str,
        top_k: int,
        article_ids: Sequence[str] | None = None,
        units: set[tuple[str, int]] | None = None,
    ) -> list[NodeWithScore]:
        """The passages that may answer a question, best first."""
        pipeline = self.pipeline(top_k, article_ids, units)
        return pipeline.retrieve(self.query(question)) if pipeline else []

    def articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """Committed articles by id (those still indexed)."""
        return {a: entry.article for a in article_ids if (entry := self.catalog.get(a)) is not None}

    def unit_spans(self, keys: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, int]]:
        """(start, end) of the given units in their committed article versions."""
        ids = self._scope_ids(self.catalog.hashes(), None, keys) or []
        found = self.collection.get(ids=ids, include=["metadatas"])["metadatas"] if ids else []
        return {(meta["article_id"], meta["unit"]): (meta["start"], meta["end"]) for meta in found}

    def attributions_by_unit(self, article_ids: set[str]) -> dict[tuple[str, int], list[Attribution]]:
        grouped: dict[tuple[str, int], list[Attribution]] = {}
        for item in self.catalog.attributions(article_ids):
            if item.unit is not None:
                grouped.setdefault((item.article_id, item.unit), []).append(item.attribution)
        return grouped

    def articles_about(self, question: str, top_k: int) -> set[str]:
        """With no articles chosen, corpus-wide questions ("which sources…") look at the articles retrieval finds."""
        return {hit.node.metadata["article_id"] for hit in self.retrieve(question, top_k)}

    def article_views(self, article_ids: Sequence[str] | None = None) -> list[ArticleView]:
        """Committed articles with their units' stored vectors and attributions (for comparisons)."""
        from rag.compare.articles import ArticleView, UnitView

        entries = {e.article.id: e for e in self.catalog.entries()}
        wanted = list(article_ids) if article_ids else list(entries)
        unknown = [a for a in wanted if a not in entries]
        if unknown:
            raise QuestionError(f"No indexed article with id {', '.join(map(repr, unknown))}.")
        by_unit = self.attributions_by_unit(set(wanted))
        views = []
        for article_id in wanted:
            entry = entries[article_id]
            article = entry.article
            ids = [unit_id(article_id, entry.content_hash, unit) for unit in range(entry.n_units)]
            found = self.collection.get(ids=ids, include=["embeddings", "metadatas"])
            units = [
                UnitView(
                    m["unit"],
                    Span.of(article.text, m["start"], m["end"]),
                    np.asarray(vector),
                    by_unit.get((article_id, m["unit"]), []),
                )
                for m, vector in zip(found["metadatas"], found["embeddings"], strict=True)
            ]
            views.append(ArticleView(article, sorted(units, key=lambda u: u.unit)))
        return views

    def actor_table(self, topic: str | None = None, article_ids: Sequence[str] | None = None) -> list[ActorRow]:
        """One row per actor across the chosen articles; with a topic, only evidence close to it."""
        from rag.compare.actors import actor_rows, merge_rows

        if article_ids:
            entries = {a: entry for a in article_ids if (entry := self.catalog.get(a)) is not None}
        else:
            entries = {e.article.id: e for e in self.catalog.entries()}
        wanted = list(entries)
        names = self.actor_names()
        stored = self.catalog.attributions(set(wanted))
        per_article = []
        for article_id in wanted:
            key = (article_id, entries[article_id].content_hash)
            if key not in self._actor_rows:
                attributions = [s.attribution for s in stored if s.article_id == article_id]
                self._actor_rows[key] = actor_rows(entries[article_id].article, attributions, names)
            per_article.append(self._actor_rows[key])
        rows = merge_rows(per_article)
        if topic:
            rows = self._on_topic(topic, rows)
        return rows

    def _on_topic(self, topic: str, rows: list[ActorRow]) -> list[ActorRow]:
        from rag.embedding import embed_model

        model = embed_model()
        query = np.asarray(model.get_query_embedding(topic))
        kept = []
        for row in rows:
            vectors = model.get_text_embedding_batch([e.sentence.text for e in row.evidence])
            row.evidence = [
                e for e, v in zip(row.evidence, vectors, strict=True) if float(query @ np.asarray(v)) >= TOPIC_COSINE
            ]
            if row.evidence:
                kept.append(row)
        return kept
