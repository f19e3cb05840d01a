"""What answer components read: retrieval, committed articles, attributions by unit, article views, actor tables.

Components read everything through a `Library`; only the `Engine` writes. Heavy models and indexes load on
first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from rag import settings
from rag.actors.directory import ActorDirectory
from rag.attribution.extract import nlp
from rag.attribution.spans import Attribution, Span
from rag.compare.article_pairs import ArticleView, UnitView
from rag.compare.positions import actor_rows, merge_rows
from rag.config import Config
from rag.index.retrieval import Retrieval
from rag.ingest.articles import Article
from rag.ingest.units import sentence_spans
from rag.models.encoder import embed_model
from rag.models.relevance import relevance_model
from rag.question.answer import QuestionError
from rag.store.catalog import SQL_BATCH, Catalog, Outlets
from rag.store.chroma import unit_id

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

    from rag.actors.names import ActorNames
    from rag.compare.positions import ActorRow


class Library:
    def __init__(self, config: Config, catalog: Catalog) -> None:
        self.catalog = catalog
        self.actors = ActorDirectory(config.corpus_dir, catalog)
        self.retrieval = Retrieval(config, catalog, self.actors)
        # Actor rows per (article id, content hash), for the actor names they were computed with.
        self._actor_rows: tuple[ActorNames | None, dict[tuple[str, str], list[ActorRow]]] = (None, {})
        self._outlets: tuple[dict[str, str], Outlets] | None = None  # (catalog map read from, outlets)

    def warm_up(self) -> None:
        """Load what every answer uses. Chroma reads its whole vector index into memory on first use (12 s
        at 1.2M units) without holding the GIL, so that runs on a second thread while the models load here."""

        collection = self.retrieval.collection
        with ThreadPoolExecutor(max_workers=1) as worker:
            vectors_loaded = worker.submit(collection.get, limit=1, include=[])
            _ = self.retrieval.index  # loads the embedding model
            nlp()
            sentence_spans("Loads the sentence splitter. Comparisons split articles.")  # importing NLTK: 2.5 s
            self.actors.names()
            self.outlets()
            self.retrieval.lexical.retriever(self.catalog.hashes())
            vectors_loaded.result()

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

    def relevance(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """How likely the relevance model rates each sentence to answer the question."""
        return relevance_model().scores(question, [(sentence, "") for sentence in sentences])

    def articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """Committed articles by id (those still indexed)."""
        return {a: entry.article for a in article_ids if (entry := self.catalog.get(a)) is not None}

    def attributions_by_unit(self, article_ids: set[str]) -> dict[tuple[str, int], list[Attribution]]:
        grouped: dict[tuple[str, int], list[Attribution]] = {}
        for item in self.catalog.speakers.attributions(article_ids):
            if item.unit is not None:
                grouped.setdefault((item.article_id, item.unit), []).append(item.attribution)
        return grouped

    def passage(self, article_id: str, unit: int) -> NodeWithScore | None:
        """A stored unit as a passage, to cite a sentence beside one that retrieval found; None when it is not
        stored (any more)."""
        from llama_index.core.schema import NodeWithScore, TextNode

        span = self.retrieval.unit_spans({(article_id, unit)}).get((article_id, unit))
        article = self.articles([article_id]).get(article_id)
        if span is None or article is None:
            return None
        meta = {"article_id": article_id, "unit": unit, "start": span[0], "end": span[1]}
        return NodeWithScore(node=TextNode(text=article.text[span[0] : span[1]], metadata=meta), score=0.0)

    def articles_about(self, question: str, top_k: int) -> set[str]:
        """With no articles chosen, corpus-wide questions ("which sources…") look at the articles retrieval finds."""
        hits = self.retrieval.retrieve(question, top_k, rerank="lexical")
        return {hit.node.metadata["article_id"] for hit in hits}

    def article_views(self, article_ids: Sequence[str] | None = None) -> list[ArticleView]:
        """Committed articles with their units' stored vectors and attributions (for comparisons)."""

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
            found = self.retrieval.collection.get(ids=ids, include=["embeddings", "metadatas"])
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

        if article_ids:
            entries = {a: entry for a in article_ids if (entry := self.catalog.get(a)) is not None}
        else:
            entries = {e.article.id: e for e in self.catalog.entries()}
        wanted = list(entries)
        names = self.actors.names()
        if self._actor_rows[0] is not names:
            self._actor_rows = (names, {})
        cached = self._actor_rows[1]
        stored = self.catalog.speakers.attributions(set(wanted))
        per_article = []
        for article_id in wanted:
            key = (article_id, entries[article_id].content_hash)
            if key not in cached:
                attributions = [s.attribution for s in stored if s.article_id == article_id]
                cached[key] = actor_rows(entries[article_id].article, attributions, names)
            per_article.append(cached[key])
        rows = merge_rows(per_article)
        if topic:
            rows = self._on_topic(topic, rows)
        return rows

    def _on_topic(self, topic: str, rows: list[ActorRow]) -> list[ActorRow]:

        model = embed_model()
        query = np.asarray(model.get_query_embedding(topic))
        kept = []
        for row in rows:
            vectors = model.get_text_embedding_batch([e.sentence.text for e in row.evidence])
            row.evidence = [
                e
                for e, v in zip(row.evidence, vectors, strict=True)
                if float(query @ np.asarray(v)) >= settings.TOPIC_COSINE
            ]
            if row.evidence:
                kept.append(row)
        return kept
