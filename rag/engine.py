"""The one façade the CLI and the page share: ingest, list, remove, ask. Heavy models load lazily."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from rag.actors.names import ActorNames, place_names, read_alias_file
from rag.answer import Answer, QuestionError, abstention, check_question, compose, unanswered_reason, verify
from rag.attribution.spans import Attribution, Span
from rag.config import Config, go_offline
from rag.corpus import Article, CorpusError, load_article, write_article_file
from rag.ingest import IngestReport, ingest, remove_article
from rag.lexical import sources_asked, speaker_asked, speaker_check
from rag.speakers import closest_attribution, sources_answer, units_spoken_by, verdict
from rag.store import Catalog, CatalogEntry, chroma_client, unit_collection, unit_id

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import BaseNode, NodeWithScore

    from rag.compare.actors import ActorRow
    from rag.compare.articles import ArticleView
    from rag.retrieve import LexicalIndex

DEFAULT_TOP_K = 5
ALIAS_FILE = "actors.yaml"
# Units read from Chroma per request when building BM25 (one unbounded get fails past ~30k units).
CHROMA_PAGE = 5000
# Evidence this close to a comparison topic (bi-encoder cosine) counts for it.
TOPIC_COSINE = 0.3
NOTHING_INDEXED = (
    "No article is indexed yet. Add articles to the corpus folder and run `python -m rag ingest`, "
    "or upload them in the Corpus tab."
)
RetrievalMode = Literal["dense", "bm25", "hybrid", "hybrid+rerank"]
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = ("dense", "bm25", "hybrid", "hybrid+rerank")


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        go_offline()
        self.config = config or Config.from_env()
        self.catalog = Catalog(self.config)
        self._actor_rows: dict[tuple[str, str], list[ActorRow]] = {}  # (article id, content hash) -> rows
        self._names: tuple[tuple, ActorNames] | None = None  # (what they were read from, names)

    @cached_property
    def collection(self) -> Collection:
        return unit_collection(chroma_client(self.config))

    @cached_property
    def lexical(self) -> LexicalIndex:
        from rag.retrieve import LexicalIndex

        return LexicalIndex(self._stored_units)

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
        """Places, the names found in the indexed articles and the alias file; re-read when one changed."""
        committed = self.catalog.hashes()
        aliases = self.alias_file.stat().st_mtime if self.alias_file.is_file() else None
        if self._names is None or self._names[0][0] is not committed or self._names[0][1] != aliases:
            user = read_alias_file(self.alias_file) if aliases is not None else []
            names = ActorNames([*place_names(), *self.catalog.actor_names(), *user])
            self._names = ((committed, aliases), names)
            self._actor_rows = {}
        return self._names[1]

    def articles(self) -> list[CatalogEntry]:
        return self.catalog.entries()

    def ingest(self, paths: Iterable[str | Path] | None = None, progress: bool = True) -> IngestReport:
        return ingest(paths or [self.config.corpus_dir], self.catalog, self.collection, progress)

    def add(self, article: Article) -> tuple[Path, IngestReport]:
        """Store a new article in the corpus folder and index it; a rejected article leaves no file behind."""
        other = self.catalog.body_hashes().get(article.body_hash, article.id)
        if other != article.id:
            raise CorpusError(article.source or article.id, f"same text as indexed article {other!r}; not added")
        target = self.config.corpus_dir / f"{article.id}.md"
        existed = target.exists()
        target = write_article_file(article, self.config.corpus_dir)
        report = self.ingest([target], progress=False)
        if report.errors and not existed:
            target.unlink(missing_ok=True)
        return target, report

    def remove(self, article_id: str, delete_file: bool = True) -> bool:
        """Remove an article from the index and its file from the corpus folder, so no ingest brings it back.

        The file goes first: a crash after it leaves an indexed article without a file, which `check`
        reports and `check --repair` removes, never a removed article that comes back.
        """
        entry = self.catalog.get(article_id)
        if entry is not None and delete_file:
            for path in self._corpus_files_of(entry.article):
                path.unlink(missing_ok=True)
        return remove_article(article_id, self.catalog, self.collection)

    def _corpus_files_of(self, article: Article) -> list[Path]:
        """Files in the corpus folder that hold this article (its recorded source, or a file under its id)."""
        folder = self.config.corpus_dir.resolve()
        candidates = {Path(article.source).resolve(), folder / f"{article.id}.md", folder / f"{article.id}.txt"}
        found = []
        for path in candidates:
            if path.parent != folder or not path.is_file():
                continue
            try:
                if load_article(path).id == article.id:
                    found.append(path)
            except CorpusError:
                continue
        return found

    def _stored_units(self, article_ids: Iterable[str] | None) -> list[BaseNode]:
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

    def retrieve(
        self,
        question: str,
        top_k: int = DEFAULT_TOP_K,
        article_ids: Sequence[str] | None = None,
        mode: RetrievalMode = "hybrid+rerank",
        units: set[tuple[str, int]] | None = None,
    ) -> list[NodeWithScore]:
        """Candidates (dense, BM25 or both fused) -> visible units only -> optional question-aware rerank."""
        from llama_index.core.schema import QueryBundle

        from rag.embedding import embed_model
        from rag.retrieve import QuestionAwareReranker, VisibleUnits, hybrid_retriever

        committed = self.catalog.hashes()
        scope_ids = self._scope_ids(committed, article_ids, units)
        if not committed or scope_ids == []:
            return []
        bundle = QueryBundle(question, embedding=embed_model().get_query_embedding(question))
        lexical = self.lexical.retriever(committed)
        if mode == "bm25":
            retriever = lexical
        elif mode == "dense":
            retriever = hybrid_retriever(self.index, None, scope_ids)
        else:
            retriever = hybrid_retriever(self.index, lexical, scope_ids)
        hits = retriever.retrieve(bundle) if retriever else []
        visible = VisibleUnits(
            committed=committed,
            article_ids=frozenset(article_ids) if article_ids else None,
            units=frozenset(units) if units is not None else None,
        )
        hits = visible.postprocess_nodes(hits, bundle)
        if mode != "hybrid+rerank":
            return hits[:top_k]
        return QuestionAwareReranker(vectors_for=self._vectors, top_n=top_k).postprocess_nodes(hits, bundle)

    def unit_spans(self, keys: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, int]]:
        """(start, end) of the given units in their committed article versions."""
        ids = self._scope_ids(self.catalog.hashes(), None, keys) or []
        found = self.collection.get(ids=ids, include=["metadatas"])["metadatas"] if ids else []
        return {(meta["article_id"], meta["unit"]): (meta["start"], meta["end"]) for meta in found}

    def _attributions_by_unit(self, article_ids: set[str]) -> dict[tuple[str, int], list[Attribution]]:
        grouped: dict[tuple[str, int], list[Attribution]] = {}
        for item in self.catalog.attributions(article_ids):
            if item.unit is not None:
                grouped.setdefault((item.article_id, item.unit), []).append(item.attribution)
        return grouped

    def _compose(self, question: str, hits: list[NodeWithScore], lead: str | None = None, max_cited: int = 3) -> Answer:
        article_ids = {hit.node.metadata["article_id"] for hit in hits}
        texts = self.catalog.texts(article_ids)
        by_unit = self._attributions_by_unit(article_ids)
        return compose(question, hits, texts, by_unit, self.actor_names(), lead, max_cited)

    def _articles_about(self, question: str, top_k: int) -> set[str]:
        """With no articles chosen, corpus-wide questions ("which sources…") look at the articles retrieval finds."""
        return {hit.node.metadata["article_id"] for hit in self.retrieve(question, top_k)}

    def _comparison(self, question: str, scope: set[str] | None, top_k: int) -> Answer | None:
        """A side-by-side answer when the question compares actors or asks who takes a stance."""
        from rag.compare.answers import COMPARISON, STANCE_ASKED, comparison_answer, comparison_rows

        if not (COMPARISON.search(question) or any(p.search(question) for p in STANCE_ASKED.values())):
            return None
        table = self.actor_table(None, sorted(scope or self._articles_about(question, top_k)))
        rows = comparison_rows(question, table, self.actor_names())
        if rows is None:
            return None
        ids = {item.article_id for row in rows for item in row.evidence}
        articles = {article_id: self.catalog.get(article_id).article for article_id in ids}
        return comparison_answer(question, rows, articles)

    def _check_speaker(self, question: str, asked: str, claim: str, top_k: int, scope: Sequence[str] | None) -> Answer:
        """ "Did X say Y?": find who the article says said Y, and confirm or correct the speaker."""
        hits = self.retrieve(claim, top_k, scope)
        reason = unanswered_reason(claim, hits, self.actor_names())
        if reason:
            return abstention(question, reason)
        top = hits[0].node.metadata
        in_unit = self._attributions_by_unit({top["article_id"]}).get((top["article_id"], int(top["unit"])), [])
        attribution = closest_attribution(claim, in_unit)
        if attribution is None:
            return self._compose(question, hits[:1], "The article reports this without attributing it to anyone.", 1)
        answer = self._compose(claim, hits[:1], verdict(asked, attribution), 1)
        answer.question = question
        return answer

    def article_views(self, article_ids: Sequence[str] | None = None) -> list[ArticleView]:
        """Committed articles with their units' stored vectors and attributions (for comparisons)."""
        from rag.compare.articles import ArticleView, UnitView

        entries = {e.article.id: e for e in self.catalog.entries()}
        wanted = list(article_ids) if article_ids else list(entries)
        unknown = [a for a in wanted if a not in entries]
        if unknown:
            raise QuestionError(f"No indexed article with id {', '.join(map(repr, unknown))}.")
        by_unit = self._attributions_by_unit(set(wanted))
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

    def ask(self, question: str, top_k: int = DEFAULT_TOP_K, article_ids: Sequence[str] | None = None) -> Answer:
        """A verified answer; raises QuestionError for a question that cannot be asked."""
        question = check_question(question)
        if not self.catalog.hashes():
            return Answer(question, NOTHING_INDEXED, True)
        scope = set(article_ids) if article_ids else None
        check = speaker_check(question)
        speaker = speaker_asked(question)
        comparison = self._comparison(question, scope, top_k)
        if comparison is not None:
            answer = comparison
        elif sources_asked(question):
            stored = [
                item
                for item in self.catalog.attributions(scope or self._articles_about(question, top_k))
                if item.unit is not None
            ]
            units = self.unit_spans({(item.article_id, item.unit) for item in stored})
            entries = {a: self.catalog.get(a) for a in {item.article_id for item in stored}}
            answer = sources_answer(question, stored, entries, units)
        elif check is not None:
            answer = self._check_speaker(question, *check, top_k, article_ids)
        else:
            words = [w for w in re.findall(r"\w+", speaker) if len(w) > 3] if speaker else []
            spoken = units_spoken_by(speaker, self.catalog.speaker_units(words, scope)) if speaker else set()
            answer = self._compose(question, self.retrieve(question, top_k, article_ids, units=spoken or None))
        texts = self.catalog.texts(
            {c.article_id for c in answer.citations} | {a["article_id"] for a in answer.attributions}
        )
        problems = verify(answer, texts)
        if problems:
            print(f"answer withheld, verification failed: {'; '.join(problems)}", file=sys.stderr)
            return abstention(question, "An answer was found but failed verification against the articles.")
        answer.verified = True
        return answer
