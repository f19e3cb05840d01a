"""The retrieval pipeline, assembled once per question from llama-index parts over Chroma and BM25.

Candidates come from dense search (`dense`) and BM25 (`bm25`), fused by reciprocal rank (`fusion`), then
`postprocessors` keep the visible units of the chosen articles, give them their texts and rerank them.
`python -m rag eval` measures each stage on the QA file's evidence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.response_synthesizers.no_text import NoText
from llama_index.core.schema import QueryBundle, TextNode
from llama_index.vector_stores.chroma import ChromaVectorStore

from rag import settings
from rag.actors.directory import ActorDirectory
from rag.config import Config
from rag.index.bm25 import LexicalIndex
from rag.index.dense import DenseScope, dense_retriever
from rag.index.fusion import Filtered, hybrid_retriever
from rag.index.postprocessors import (
    AnswerRanker,
    AskedActorsCovered,
    FirstN,
    QuestionAwareReranker,
    RelevanceReranker,
    SpokenBy,
    UnitTexts,
    VisibleUnits,
)
from rag.models.encoder import embed_model
from rag.models.linear import decision_model
from rag.models.relevance import relevance_model
from rag.store.catalog import Catalog
from rag.store.chroma import chroma_client, unit_collection, unit_id

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from llama_index.core.postprocessor.types import BaseNodePostprocessor
    from llama_index.core.schema import BaseNode, NodeWithScore

    from rag.index.bm25 import StoredUnit

BM25_FOLDER = "bm25"
Rerank = Literal["none", "lexical", "relevance", "answers"]


class Retrieval:
    """Dense + BM25 candidates over the committed units, as one llama-index query engine per question."""

    def __init__(self, config: Config, catalog: Catalog, actors: ActorDirectory) -> None:
        self.config = config
        self.catalog = catalog
        self.actors = actors
        self._units: tuple[dict[str, str], int] | None = None  # (catalog map read from, units it covers)

    @cached_property
    def collection(self) -> Collection:
        return unit_collection(chroma_client(self.config))

    @cached_property
    def lexical(self) -> LexicalIndex:

        return LexicalIndex(self.stored_units, self.nodes, self.config.home / BM25_FOLDER)

    @cached_property
    def index(self) -> VectorStoreIndex:

        return VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=self.collection), embed_model=embed_model()
        )

    def stored_units(self, article_ids: Iterable[str] | None) -> Iterator[StoredUnit]:
        """(Chroma id, text, metadata) of the committed units of the given articles, or of all, read by id in
        pages: a metadata filter or an offset makes Chroma scan the whole store for every page. Texts are
        sliced from the catalog's articles (units are spans of them): Chroma reads documents 3x slower."""
        committed = self.catalog.hashes()
        wanted = committed.keys() if article_ids is None else committed.keys() & set(article_ids)
        counts = self.catalog.unit_counts(set(wanted))
        ids = [unit_id(a, committed[a], u) for a, n in counts.items() for u in range(n)]
        for start in range(0, len(ids), settings.CHROMA_PAGE):
            found = self.collection.get(ids=ids[start : start + settings.CHROMA_PAGE], include=["metadatas"])
            texts = self.catalog.texts({meta["article_id"] for meta in found["metadatas"]})
            for chroma_id, meta in zip(found["ids"], found["metadatas"], strict=True):
                if meta["article_id"] in texts:  # not removed since the map was read
                    yield chroma_id, texts[meta["article_id"]][meta["start"] : meta["end"]], meta

    def nodes(self, unit_ids: list[str]) -> list[BaseNode]:
        """The stored units with these Chroma ids, as llama-index nodes (those still stored), without their
        text: `UnitTexts` gives it to those still visible."""

        if not unit_ids:
            return []
        found = self.collection.get(ids=unit_ids, include=["metadatas"])
        return [TextNode(id_=i, metadata=m) for i, m in zip(found["ids"], found["metadatas"], strict=True)]

    def vectors(self, node_ids: list[str]) -> dict[str, list[float]]:
        found = self.collection.get(ids=node_ids, include=["embeddings"])
        return dict(zip(found["ids"], found["embeddings"], strict=True))

    def unit_spans(self, keys: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, int]]:
        """(start, end) of the given units in their committed article versions."""
        committed = self.catalog.hashes()
        ids = [unit_id(a, committed[a], u) for a, u in keys if a in committed]
        found = self.collection.get(ids=ids, include=["metadatas"])["metadatas"] if ids else []
        return {(meta["article_id"], meta["unit"]): (meta["start"], meta["end"]) for meta in found}

    def _dense_scope(
        self, committed: dict[str, str], article_ids: Sequence[str] | None, speakers: frozenset[str] | None
    ) -> DenseScope | None:
        """What dense retrieval is restricted to; None when nothing is in scope.

        A scope of up to `ID_SCOPE_MOST` units reaches Chroma as their ids; a bigger one is left to filters,
        and dense retrieval asks for more candidates in proportion to how little it covers.
        """

        if speakers is not None:
            in_scope = self.catalog.speakers.spoken_count(speakers)
            if in_scope <= settings.ID_SCOPE_MOST:
                chosen = set(article_ids) if article_ids else committed
                spoken = self.catalog.speakers.spoken_units(speakers)
                ids = list(
                    dict.fromkeys(unit_id(a, committed[a], u) for a, u in spoken if a in chosen and a in committed)
                )
                return DenseScope(ids) if ids else None
        elif article_ids:
            counts = self.catalog.unit_counts(set(article_ids) & committed.keys())
            in_scope = sum(counts.values())
            if not in_scope:
                return None
            if in_scope <= settings.ID_SCOPE_MOST:
                return DenseScope([unit_id(a, committed[a], u) for a, n in counts.items() for u in range(n)])
        else:
            return DenseScope(None)
        share = in_scope / max(self._unit_total(committed), 1)
        wanted = math.ceil(settings.CANDIDATES_PER_RETRIEVER / share)
        return DenseScope(None, min(settings.MOST_DENSE_CANDIDATES, wanted))

    def _unit_total(self, committed: dict[str, str]) -> int:
        """Units of the committed articles; re-read only when the catalog changed."""
        if self._units is None or self._units[0] is not committed:
            self._units = (committed, self.catalog.unit_total())
        return self._units[1]

    def unknown_words(self, stems: frozenset[str]) -> set[str]:
        """The stems of a question's content words that no article of the corpus holds."""
        return self.lexical.unknown(self.catalog.hashes(), set(stems))

    def query(self, question: str) -> QueryBundle:
        """The question with its embedding, computed once for every retriever and postprocessor."""

        return QueryBundle(question, embedding=embed_model().get_query_embedding(question))

    def pipeline(
        self,
        top_k: int,
        article_ids: Sequence[str] | None = None,
        speakers: frozenset[str] | None = None,
        dense: bool = True,
        lexical: bool = True,
        rerank: Rerank = "answers",
    ) -> RetrieverQueryEngine | None:
        """Candidates (dense, BM25 or both fused; where one of the speaker phrases speaks) -> visible units
        only (of the chosen articles) -> their texts -> reranked, as one llama-index query engine; None when
        nothing is in scope. The default reranks the fused candidates by cosine and word overlap, has the
        relevance model read the best `RELEVANCE_CANDIDATES` of them, and orders those by the answer ranker
        over all these signals; eval compares the stages."""

        committed = self.catalog.hashes()
        scope = self._dense_scope(committed, article_ids, speakers)
        if not committed or scope is None:
            return None
        dense_hits = dense_retriever(self.index, scope, self.vectors, self.nodes) if dense else None
        lexical_hits = self.lexical.retriever(committed) if lexical else None
        if speakers is not None:
            spoken = SpokenBy(speakers=speakers, speakers_of=self.catalog.speakers.of_units)
            lexical_hits = Filtered(lexical_hits, spoken) if lexical_hits else None
            dense_hits = Filtered(dense_hits, spoken) if dense_hits and scope.ids is None else dense_hits
        retriever = hybrid_retriever(dense_hits, lexical_hits)
        if retriever is None:
            return None
        kept: list[BaseNodePostprocessor] = [
            VisibleUnits(committed=committed, article_ids=frozenset(article_ids) if article_ids else None),
            UnitTexts(texts_of=self.catalog.texts),
        ]
        if rerank == "none":
            return RetrieverQueryEngine(retriever, NoText(llm=MockLLM()), node_postprocessors=[*kept, FirstN(n=top_k)])
        lexical_cut = top_k if rerank == "lexical" else max(top_k, settings.RELEVANCE_CANDIDATES)
        actors = self.actors.names()
        kept.append(QuestionAwareReranker(vectors_for=self.vectors, actors=actors, top_n=lexical_cut))
        if rerank in ("relevance", "answers"):
            relevant = RelevanceReranker(score=relevance_model().scores, texts_of=self.catalog.texts, top_n=lexical_cut)
            kept.append(relevant)
        if rerank == "answers":
            kept.append(AnswerRanker(model=decision_model("passage"), top_n=lexical_cut))
        if rerank in ("relevance", "answers"):
            kept.append(AskedActorsCovered(actors=actors, top_n=top_k))
        return RetrieverQueryEngine(retriever, NoText(llm=MockLLM()), node_postprocessors=kept)

    def retrieve(
        self,
        question: str,
        top_k: int,
        article_ids: Sequence[str] | None = None,
        speakers: frozenset[str] | None = None,
        rerank: Rerank = "answers",
    ) -> list[NodeWithScore]:
        """The passages that may answer a question, best first; with `speakers`, only where one of these
        (lower-cased) speaker phrases speaks. A caller that only needs to know which articles are about the
        question reranks by words (`rerank="lexical"`), which spares the relevance model's ~100 ms."""
        pipeline = self.pipeline(top_k, article_ids, speakers, rerank=rerank)
        return pipeline.retrieve(self.query(question)) if pipeline else []
