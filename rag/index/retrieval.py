"""Hybrid retrieval with llama-index: dense (Chroma) + BM25, fused by reciprocal rank, then reranked.

No cross-encoder ships offline, so the reranker combines what we have: the bi-encoder cosine of each
candidate (recomputed from its stored vector, since fusion replaces scores by ranks) and how many of the
question's names and content words the candidate contains. `python -m rag eval-retrieval` measures each stage.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from llama_index.core import VectorStoreIndex
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import MockLLM
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle
from pydantic import SkipValidation

from rag.actors.names import ActorNames
from rag.index.terms import content_terms, name_terms, recall

# Chosen on eval/qa-seed.jsonl (hit@1 0.84 dense, 0.90 fused, 0.94 reranked); see the README's figures.
NAME_WEIGHT = 0.1
TERM_WEIGHT = 0.2
CANDIDATES_PER_RETRIEVER = 20
# BM25 hits, and fused candidates passed on to the reranker.
FUSED_CANDIDATES = 40
# The main BM25 index is rebuilt once articles added, changed or removed since it was built reach this share.
REBUILD_SHARE = 0.1
STAMP = "covers.json"  # beside the saved index: the catalog map (article id -> content hash) it was built from
UNIT_IDS = "unit_ids.npy"  # beside the bm25s files: the Chroma id of each indexed unit (UTF-8), in index order
TOKENIZE_BATCH = 5000
SAMPLE_STRIDE = 16  # of BM25 scores, to bound the top-k from below
# A scope of at most this many units is searched exactly over its stored vectors (at 120k units: 8 ms for 200
# against 40 ms through Chroma's filtered HNSW search; even at 500).
EXACT_SCOPE_MOST = 400
STEMMER = Stemmer.Stemmer("english")


StoredUnit = tuple[str, str, dict]  # (Chroma id, text, metadata) of a unit as the store holds it
Fetch = Callable[[list[str]], list[BaseNode]]  # nodes of the given Chroma ids, from the store
VectorsFor = Callable[[list[str]], dict[str, list[float]]]  # stored vectors of the given Chroma ids


class UnitBM25Retriever(BaseRetriever):
    """BM25 (bm25s) over units, holding only their Chroma ids: hits are read back from the store (their
    metadata; `UnitTexts` slices their text from the catalog's articles).

    llama-index's `BM25Retriever` keeps and saves a copy of every node (1.5 GB at 1.2M units, scanned line
    by line on every load); this index saves the bm25s matrices and the ids, and memory-maps both (the ids
    as Python strings took 130 MB at 1.2M units). Hits are picked by `top_scores`: a top-k among every
    unit's score (mostly tied zeros) took ~260 ms at 1.2M units.
    """

    def __init__(self, bm25: bm25s.BM25, unit_ids: np.ndarray, fetch: Fetch) -> None:
        super().__init__()
        self._bm25, self._unit_ids, self._fetch = bm25, unit_ids, fetch

    @classmethod
    def build(cls, units: Iterable[StoredUnit], fetch: Fetch) -> UnitBM25Retriever | None:
        """Index units read page by page: only word ids are kept, never the units themselves."""
        tokenizer = bm25s.tokenization.Tokenizer(stemmer=STEMMER, stopwords="en")
        unit_ids: list[bytes] = []
        words = []
        for chunk in _batched(units, TOKENIZE_BATCH):
            unit_ids += [unit.encode() for unit, _, _ in chunk]
            words += tokenizer.tokenize([text for _, text, _ in chunk], update_vocab=True, show_progress=False)
        if not unit_ids:
            return None
        bm25 = bm25s.BM25()
        bm25.index(bm25s.tokenization.Tokenized(words, tokenizer.get_vocab_dict()), show_progress=False)
        return cls(bm25, np.array(unit_ids, dtype=bytes), fetch)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)
        np.save(folder / UNIT_IDS, self._unit_ids, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, fetch: Fetch) -> UnitBM25Retriever:
        bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(bm25, np.load(folder / UNIT_IDS, mmap_mode="r", allow_pickle=False), fetch)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        words = bm25s.tokenize(query_bundle.query_str, stemmer=STEMMER, return_ids=False, show_progress=False)[0]
        ids = self._bm25.get_tokens_ids(words)
        if not ids:
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        best = [(self._unit_ids[i].decode(), float(scores[i])) for i in top_scores(scores, FUSED_CANDIDATES)]
        nodes = {node.node_id: node for node in self._fetch([unit for unit, _ in best])}
        return [NodeWithScore(node=nodes[unit], score=score) for unit, score in best if unit in nodes]


def top_scores(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` highest positive scores, best first.

    The k-th highest score of an every-`SAMPLE_STRIDE`-th sample is a floor for the k highest (the sample
    alone holds k scores at or above it), so one pass keeps a few hundred candidates instead of every unit
    sharing a common word with the query (480,000 of 1.2M for "When would the talks resume?": 22 ms -> 2).
    """
    sample = scores[::SAMPLE_STRIDE]
    sample = sample[sample > 0]
    floor = np.partition(sample, len(sample) - k)[len(sample) - k] if len(sample) >= k else 0.0
    matching = np.flatnonzero(scores >= floor) if floor > 0 else np.flatnonzero(scores)
    if len(matching) > k:
        matching = matching[np.argpartition(-scores[matching], k)[:k]]
    return matching[np.argsort(-scores[matching], kind="stable")]


def _batched(items: Iterable[StoredUnit], size: int) -> Iterator[list[StoredUnit]]:
    batch: list[StoredUnit] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class DenseScope:
    """The Chroma ids dense retrieval is restricted to (None: no restriction) and how many candidates it asks for."""

    ids: list[str] | None
    candidates: int = CANDIDATES_PER_RETRIEVER


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


class Filtered(BaseRetriever):
    """A retriever's candidates through a postprocessor before they are fused with another's: filtered after
    fusion, a scope keeps only what made the fused cut (of 40 out of 240 dense and 40 BM25 candidates)."""

    def __init__(self, retriever: BaseRetriever, keep: BaseNodePostprocessor) -> None:
        super().__init__()
        self._retriever, self._keep = retriever, keep

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self._keep.postprocess_nodes(self._retriever.retrieve(query_bundle), query_bundle)


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

    Each hit's score becomes that combined score; `metadata["cosine"]` keeps the raw similarity, which
    the answerer uses to decide whether the corpus answers the question at all.
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
            cosine = float(np.dot(query, vectors[hit.node.node_id]))
            text = hit.node.get_content()
            present = content_terms(f"{text} {self.actors.named_in(asked, text)}")
            score = cosine + NAME_WEIGHT * recall(names, present) + TERM_WEIGHT * recall(terms, present)
            hit.node.metadata["cosine"] = cosine
            rescored.append(NodeWithScore(node=hit.node, score=score))
        rescored.sort(key=lambda hit: hit.score or 0.0, reverse=True)
        return rescored[: self.top_n]


def dense_retriever(index: VectorStoreIndex, scope: DenseScope, vectors_for: VectorsFor, fetch: Fetch) -> BaseRetriever:
    """Chroma's vector search, restricted to a scope's ids when it has some (far cheaper than the equivalent
    metadata filter, ~2 s at 120k units); a scope of a few hundred units is searched exactly instead."""
    if scope.ids is not None and len(scope.ids) <= EXACT_SCOPE_MOST:
        return ExactDenseRetriever(scope.ids, scope.candidates, vectors_for, fetch)
    scoped = {"ids": scope.ids} if scope.ids is not None else {}
    return index.as_retriever(similarity_top_k=scope.candidates, vector_store_kwargs=scoped)


class ExactDenseRetriever(BaseRetriever):
    """Exact cosine over the stored vectors of a few units.

    Chroma's HNSW search filtered to a few ids explores most of the graph: 68 ms for 55 ids at 120k units,
    where reading their vectors takes 4.5 ms.
    """

    def __init__(self, unit_ids: list[str], top_k: int, vectors_for: VectorsFor, fetch: Fetch) -> None:
        super().__init__()
        self._unit_ids, self._top_k, self._vectors_for, self._fetch = unit_ids, top_k, vectors_for, fetch

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        vectors = self._vectors_for(self._unit_ids)
        if query_bundle.embedding is None or not vectors:
            return []
        ids = list(vectors)
        scores = np.asarray([vectors[i] for i in ids]) @ np.asarray(query_bundle.embedding)
        best = np.argsort(-scores, kind="stable")[: self._top_k]
        nodes = {node.node_id: node for node in self._fetch([ids[i] for i in best])}
        return [NodeWithScore(node=nodes[ids[i]], score=float(scores[i])) for i in best if ids[i] in nodes]


def hybrid_retriever(dense: BaseRetriever | None, lexical: BaseRetriever | None) -> BaseRetriever | None:
    """Dense + BM25 candidates fused by reciprocal rank (no LLM query rewriting); either alone when the other
    is left out."""
    if dense is None or lexical is None:
        return dense or lexical
    return _fused([dense, lexical])


def _fused(retrievers: list[BaseRetriever]) -> BaseRetriever:
    return QueryFusionRetriever(
        retrievers,
        llm=MockLLM(),
        mode="reciprocal_rerank",
        num_queries=1,
        use_async=False,
        similarity_top_k=FUSED_CANDIDATES,
    )


class LexicalIndex:
    """BM25 over the visible units, kept current without re-reading the whole store on every change.

    A full build reads every unit from Chroma (~17 s at 120k units), so it is saved in `folder` with the
    catalog map it covers, and a restart loads it instead (memory-mapped). After it, articles added or
    changed go into a small second BM25 index whose hits are fused with the main one by reciprocal rank;
    units of replaced or removed versions stay in the main index until the next full build, and
    `VisibleUnits` drops them. A full build happens once such changes reach `REBUILD_SHARE` of the main index.
    """

    def __init__(self, read_units: Callable[[Iterable[str] | None], Iterable[StoredUnit]], fetch: Fetch, folder: Path):
        self._read_units = read_units  # the stored units of these articles, or of all when None
        self._fetch = fetch
        self._folder = folder
        self._main_hashes: dict[str, str] | None = None
        self._main: UnitBM25Retriever | None = None
        self._delta_hashes: dict[str, str] = {}
        self._retriever: BaseRetriever | None = None
        self._serves: dict[str, str] | None = None  # the catalog map `_retriever` was made for
        self._refreshing = threading.Lock()  # questions run in parallel: one of them rebuilds, the others wait

    def retriever(self, committed: dict[str, str]) -> BaseRetriever | None:
        """A BM25 retriever over `committed` (article id -> content hash, as `Catalog.hashes` shares it)."""
        with self._refreshing:
            if committed is not self._serves:
                self._refresh(committed)
                self._serves = committed
            return self._retriever

    def _load(self) -> None:
        """The saved main index and the catalog map it covers, when there is one that reads (one of an older
        layout, or damaged, is rebuilt)."""
        stamp = self._folder / STAMP
        if stamp.is_file():
            try:
                main = UnitBM25Retriever.load(self._folder / "index", self._fetch)
                covers = json.loads(stamp.read_text(encoding="utf-8"))
            except (OSError, ValueError, KeyError) as exc:
                print(f"saved BM25 index unreadable, rebuilding it: {exc}", file=sys.stderr)
                return
            self._main, self._main_hashes, self._retriever = main, covers, main

    def _save(self, retriever: UnitBM25Retriever, covers: dict[str, str]) -> None:
        """Replace the saved index: written beside it, then renamed, so a crash leaves the old one whole."""
        self._folder.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(dir=self._folder, prefix=".new-"))
        (fresh / "index").mkdir()
        retriever.save(fresh / "index")
        (fresh / STAMP).write_text(json.dumps(covers), encoding="utf-8")
        (self._folder / STAMP).unlink(missing_ok=True)
        shutil.rmtree(self._folder / "index", ignore_errors=True)
        (fresh / "index").rename(self._folder / "index")
        (fresh / STAMP).rename(self._folder / STAMP)
        shutil.rmtree(fresh, ignore_errors=True)

    def _refresh(self, committed: dict[str, str]) -> None:
        if self._main_hashes is None:
            self._load()
        main = self._main_hashes
        changes = _changes(main, committed) if main is not None else set()
        if main is None or len(changes) > REBUILD_SHARE * len(main):
            self._main = UnitBM25Retriever.build(_visible(self._read_units(None), committed), self._fetch)
            if self._main is not None:
                self._save(self._main, committed)
            self._main_hashes, self._delta_hashes, self._retriever = dict(committed), {}, self._main
            return
        changed = {a: committed[a] for a in changes if a in committed}
        if changed != self._delta_hashes:
            delta = (
                UnitBM25Retriever.build(_visible(self._read_units(changed), changed), self._fetch) if changed else None
            )
            shards = [shard for shard in (self._main, delta) if shard is not None]
            self._retriever = _fused(shards) if len(shards) > 1 else next(iter(shards), None)
            self._delta_hashes = changed


def _changes(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {a for a, _ in before.items() ^ after.items()}


def _visible(units: Iterable[StoredUnit], committed: dict[str, str]) -> Iterator[StoredUnit]:
    return (unit for unit in units if committed.get(unit[2].get("article_id")) == unit[2].get("content_hash"))
