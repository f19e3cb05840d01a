"""The read side of the index: committed articles, their units in Chroma, BM25, actors, one retrieval pipeline.

Answer components read everything they need through a `Library`; only `Engine` writes. Heavy models
and indexes load on first use.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.actors.names import ActorNames, place_names, read_alias_file
from rag.attribution.spans import Attribution, Span
from rag.config import Config
from rag.ingest.articles import Article
from rag.question.answer import QuestionError
from rag.store.catalog import SQL_BATCH, Catalog, Outlets, chroma_client, unit_collection, unit_id

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from llama_index.core import VectorStoreIndex
    from llama_index.core.postprocessor.types import BaseNodePostprocessor
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle

    from rag.compare.article_pairs import ArticleView
    from rag.compare.positions import ActorRow
    from rag.index.retrieval import DenseScope, LexicalIndex, StoredUnit

# Units read from Chroma per request when building BM25 (one unbounded get fails past ~30k units).
CHROMA_PAGE = 5000
# A scope of more units than this is not sent to Chroma as a list of ids (at 120k units 1,000 ids cost 16 ms,
# 50,000 cost 66 ms); dense retrieval asks for more candidates instead (~0.13 ms each), up to this many.
ID_SCOPE_MOST = 20_000
MOST_DENSE_CANDIDATES = 500
# Evidence this close to a comparison topic (bi-encoder cosine) counts for it.
TOPIC_COSINE = 0.3
ALIAS_FILE = "actors.yaml"


class Library:
    def __init__(self, config: Config, catalog: Catalog) -> None:
        self.config = config
        self.catalog = catalog
        self._actor_rows: dict[tuple[str, str], list[ActorRow]] = {}  # (article id, content hash) -> rows
        self._names: tuple[tuple, ActorNames] | None = None  # (what they were read from, names)
        self._outlets: tuple[dict[str, str], Outlets] | None = None  # (catalog map read from, outlets)
        self._units: tuple[dict[str, str], int] | None = None  # (catalog map read from, units it covers)

    @cached_property
    def collection(self) -> Collection:
        return unit_collection(chroma_client(self.config))

    def warm_up(self) -> None:
        """Load what every answer uses. Chroma reads its whole vector index into memory on first use (12 s
        at 1.2M units) without holding the GIL, so that runs on a second thread while the models load here."""
        from concurrent.futures import ThreadPoolExecutor

        from rag.attribution.extract import nlp
        from rag.ingest.units import sentence_spans

        collection = self.collection
        with ThreadPoolExecutor(max_workers=1) as worker:
            vectors_loaded = worker.submit(collection.get, limit=1, include=[])
            _ = self.index  # loads the embedding model
            nlp()
            sentence_spans("Loads the sentence splitter. Comparisons split articles.")  # importing NLTK: 2.5 s
            self.actor_names()
            self.outlets()
            self.lexical.retriever(self.catalog.hashes())
            vectors_loaded.result()

    @cached_property
    def lexical(self) -> LexicalIndex:
        from rag.index.retrieval import LexicalIndex

        return LexicalIndex(self.stored_units, self.nodes, self.config.home / "bm25")

    @cached_property
    def index(self) -> VectorStoreIndex:
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from rag.models.encoder import embed_model

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
        """The indexed outlets and their groups; after articles were only added, only theirs are read."""
        committed = self.catalog.hashes()
        if self._outlets is not None and self._outlets[0] is committed:
            return self._outlets[1]
        before, outlets = self._outlets or ({}, None)
        changed = {a for a, _ in before.items() ^ committed.items()}
        if outlets is not None and changed.isdisjoint(before) and len(changed) <= SQL_BATCH:
            outlets = outlets.with_added(self.catalog.outlets(changed))
        else:
            outlets = self.catalog.outlets()
        self._outlets = (committed, outlets)
        return outlets

    def stored_units(self, article_ids: Iterable[str] | None) -> Iterator[StoredUnit]:
        """(Chroma id, text, metadata) of the committed units of the given articles, or of all, read by id in
        pages: a metadata filter or an offset makes Chroma scan the whole store for every page. Texts are
        sliced from the catalog's articles (units are spans of them): Chroma reads documents 3x slower."""
        committed = self.catalog.hashes()
        wanted = committed.keys() if article_ids is None else committed.keys() & set(article_ids)
        counts = self.catalog.unit_counts(set(wanted))
        ids = [unit_id(a, committed[a], u) for a, n in counts.items() for u in range(n)]
        for start in range(0, len(ids), CHROMA_PAGE):
            found = self.collection.get(ids=ids[start : start + CHROMA_PAGE], include=["metadatas"])
            texts = self.catalog.texts({meta["article_id"] for meta in found["metadatas"]})
            for chroma_id, meta in zip(found["ids"], found["metadatas"], strict=True):
                if meta["article_id"] in texts:  # not removed since the map was read
                    yield chroma_id, texts[meta["article_id"]][meta["start"] : meta["end"]], meta

    def nodes(self, unit_ids: list[str]) -> list[BaseNode]:
        """The stored units with these Chroma ids, as llama-index nodes (those still stored), without their
        text: `UnitTexts` gives it to those still visible."""
        from llama_index.core.schema import TextNode

        if not unit_ids:
            return []
        found = self.collection.get(ids=unit_ids, include=["metadatas"])
        return [TextNode(id_=i, metadata=m) for i, m in zip(found["ids"], found["metadatas"], strict=True)]

    def _dense_scope(
        self, committed: dict[str, str], article_ids: Sequence[str] | None, speakers: frozenset[str] | None
    ) -> DenseScope | None:
        """What dense retrieval is restricted to; None when nothing is in scope.

        A scope of up to `ID_SCOPE_MOST` units reaches Chroma as their ids; a bigger one is left to filters,
        and dense retrieval asks for more candidates in proportion to how little it covers.
        """
        from rag.index.retrieval import CANDIDATES_PER_RETRIEVER, DenseScope

        if speakers is not None:
            in_scope = self.catalog.spoken_count(speakers)
            if in_scope <= ID_SCOPE_MOST:
                chosen = set(article_ids) if article_ids else committed
                spoken = self.catalog.spoken_units(speakers)
                ids = list(
                    dict.fromkeys(unit_id(a, committed[a], u) for a, u in spoken if a in chosen and a in committed)
                )
                return DenseScope(ids) if ids else None
        elif article_ids:
            counts = self.catalog.unit_counts(set(article_ids) & committed.keys())
            in_scope = sum(counts.values())
            if not in_scope:
                return None
            if in_scope <= ID_SCOPE_MOST:
                return DenseScope([unit_id(a, committed[a], u) for a, n in counts.items() for u in range(n)])
        else:
            return DenseScope(None)
        share = in_scope / max(self._unit_total(committed), 1)
        return DenseScope(None, min(MOST_DENSE_CANDIDATES, math.ceil(CANDIDATES_PER_RETRIEVER / share)))

    def _unit_total(self, committed: dict[str, str]) -> int:
        """Units of the committed articles; re-read only when the catalog changed."""
        if self._units is None or self._units[0] is not committed:
            self._units = (committed, self.catalog.unit_total())
        return self._units[1]

    def _vectors(self, node_ids: list[str]) -> dict[str, list[float]]:
        found = self.collection.get(ids=node_ids, include=["embeddings"])
        return dict(zip(found["ids"], found["embeddings"], strict=True))

    def query(self, question: str) -> QueryBundle:
        """The question with its embedding, computed once for every retriever and postprocessor."""
        from llama_index.core.schema import QueryBundle

        from rag.models.encoder import embed_model

        return QueryBundle(question, embedding=embed_model().get_query_embedding(question))

    def pipeline(
        self,
        top_k: int,
        article_ids: Sequence[str] | None = None,
        speakers: frozenset[str] | None = None,
        dense: bool = True,
        lexical: bool = True,
        rerank: bool = True,
    ) -> RetrieverQueryEngine | None:
        """Candidates (dense, BM25 or both fused; where one of the speaker phrases speaks) -> visible units
        only (of the chosen articles) -> their texts -> question-aware rerank, as one llama-index query engine;
        None when nothing is in scope. Answers use the default; eval compares."""
        from llama_index.core.llms import MockLLM
        from llama_index.core.query_engine import RetrieverQueryEngine
        from llama_index.core.response_synthesizers.no_text import NoText

        from rag.index.retrieval import (
            Filtered,
            FirstN,
            QuestionAwareReranker,
            SpokenBy,
            UnitTexts,
            VisibleUnits,
            dense_retriever,
            hybrid_retriever,
        )

        committed = self.catalog.hashes()
        scope = self._dense_scope(committed, article_ids, speakers)
        if not committed or scope is None:
            return None
        dense_hits = dense_retriever(self.index, scope, self._vectors, self.nodes) if dense else None
        lexical_hits = self.lexical.retriever(committed) if lexical else None
        if speakers is not None:
            spoken = SpokenBy(speakers=speakers, speakers_of=self.catalog.speakers_of)
            lexical_hits = Filtered(lexical_hits, spoken) if lexical_hits else None
            dense_hits = Filtered(dense_hits, spoken) if dense_hits and scope.ids is None else dense_hits
        retriever = hybrid_retriever(dense_hits, lexical_hits)
        if retriever is None:
            return None
        kept: list[BaseNodePostprocessor] = [
            VisibleUnits(committed=committed, article_ids=frozenset(article_ids) if article_ids else None),
            UnitTexts(texts_of=self.catalog.texts),
        ]
        last = (
            QuestionAwareReranker(vectors_for=self._vectors, actors=self.actor_names(), top_n=top_k)
            if rerank
            else FirstN(n=top_k)
        )
        return RetrieverQueryEngine(retriever, NoText(llm=MockLLM()), node_postprocessors=[*kept, last])

    def retrieve(
        self,
        question: str,
        top_k: int,
        article_ids: Sequence[str] | None = None,
        speakers: frozenset[str] | None = None,
    ) -> list[NodeWithScore]:
        """The passages that may answer a question, best first; with `speakers`, only where one of these
        (lower-cased) speaker phrases speaks."""
        pipeline = self.pipeline(top_k, article_ids, speakers)
        return pipeline.retrieve(self.query(question)) if pipeline else []

    def articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """Committed articles by id (those still indexed)."""
        return {a: entry.article for a in article_ids if (entry := self.catalog.get(a)) is not None}

    def unit_spans(self, keys: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, int]]:
        """(start, end) of the given units in their committed article versions."""
        committed = self.catalog.hashes()
        ids = [unit_id(a, committed[a], u) for a, u in keys if a in committed]
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
        from rag.compare.article_pairs import ArticleView, UnitView

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
        from rag.compare.positions import actor_rows, merge_rows

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
        from rag.models.encoder import embed_model

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
