"""BM25 over the stored units (bm25s), saved beside the index and kept current as articles change."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from rag import settings
from rag.index.dense import Fetch
from rag.index.fusion import fused
from rag.index.terms import words

# Beside the saved index: the tokeniser's version and the catalog map (article id -> content hash) it was built
# from. An index saved by another tokeniser version (or without one) is rebuilt.
STAMP = "covers.json"
TOKENISER_VERSION = 2
UNIT_IDS = "unit_ids.npy"  # beside the bm25s files: the Chroma id of each indexed unit (UTF-8), in index order
STEMMER = Stemmer.Stemmer("english")
STOP_STEMS = frozenset(STEMMER.stemWords(sorted(bm25s.stopwords.STOPWORDS_EN)))
StoredUnit = tuple[str, str, dict]  # (Chroma id, text, metadata) of a unit as the store holds it


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
        tokenizer = bm25_tokenizer()
        unit_ids: list[bytes] = []
        indexed = []
        for chunk in _batched(units, settings.TOKENIZE_BATCH):
            unit_ids += [unit.encode() for unit, _, _ in chunk]
            indexed += tokenizer.tokenize([text for _, text, _ in chunk], update_vocab=True, show_progress=False)
        if not unit_ids:
            return None
        bm25 = bm25s.BM25()
        bm25.index(bm25s.tokenization.Tokenized(indexed, tokenizer.get_vocab_dict()), show_progress=False)
        return cls(bm25, np.array(unit_ids, dtype=bytes), fetch)

    def known(self, stems: Iterable[str]) -> set[str]:
        """The stems some indexed unit holds."""
        return {stem for stem in stems if stem in self._bm25.vocab_dict}

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)
        np.save(folder / UNIT_IDS, self._unit_ids, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, fetch: Fetch) -> UnitBM25Retriever:
        bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(bm25, np.load(folder / UNIT_IDS, mmap_mode="r", allow_pickle=False), fetch)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        asked = bm25_tokenizer().tokenize([query_bundle.query_str], return_as="string", show_progress=False)[0]
        ids = self._bm25.get_tokens_ids(asked)
        if not ids:
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        best = [(self._unit_ids[i].decode(), float(scores[i])) for i in top_scores(scores, settings.FUSED_CANDIDATES)]
        nodes = {node.node_id: node for node in self._fetch([unit for unit, _ in best])}
        return [NodeWithScore(node=nodes[unit], score=score) for unit, score in best if unit in nodes]


def bm25_tokenizer() -> bm25s.tokenization.Tokenizer:
    """The lexical checks' words (`terms.words`) less English stopwords, stemmed; one for units and questions."""
    return bm25s.tokenization.Tokenizer(lower=False, splitter=words, stopwords="en", stemmer=STEMMER)


def top_scores(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` highest positive scores, best first.

    The k-th highest score of an every-`SAMPLE_STRIDE`-th sample is a floor for the k highest (the sample
    alone holds k scores at or above it), so one pass keeps a few hundred candidates instead of every unit
    sharing a common word with the query (480,000 of 1.2M for "When would the talks resume?": 22 ms -> 2).
    """
    sample = scores[:: settings.SAMPLE_STRIDE]
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
        self._delta: UnitBM25Retriever | None = None
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

    def unknown(self, committed: dict[str, str], stems: set[str]) -> set[str]:
        """Those of a question's word stems that no committed unit holds (BM25's own stopwords are not looked
        for). Units of replaced versions still in the main index count: a word they held is rarely gone."""
        self.retriever(committed)
        shards = [shard for shard in (self._main, self._delta) if shard is not None]
        looked_for = stems - STOP_STEMS
        return looked_for - set().union(*(shard.known(looked_for) for shard in shards))

    def _load(self) -> None:
        """The saved main index and the catalog map it covers, when there is one that reads (one of an older
        layout, or damaged, is rebuilt)."""
        stamp = self._folder / STAMP
        if stamp.is_file():
            try:
                saved = json.loads(stamp.read_text(encoding="utf-8"))
                if saved.get("tokeniser") != TOKENISER_VERSION:
                    raise ValueError(f"tokenised by version {saved.get('tokeniser')}, not {TOKENISER_VERSION}")
                covers = saved["covers"]
                main = UnitBM25Retriever.load(self._folder / "index", self._fetch)
            except (OSError, ValueError, KeyError, AttributeError) as exc:
                print(f"saved BM25 index not usable, rebuilding it: {exc}", file=sys.stderr)
                return
            self._main, self._main_hashes, self._retriever = main, covers, main

    def _save(self, retriever: UnitBM25Retriever, covers: dict[str, str]) -> None:
        """Replace the saved index: written beside it, then renamed, so a crash leaves the old one whole."""
        self._folder.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(dir=self._folder, prefix=".new-"))
        (fresh / "index").mkdir()
        retriever.save(fresh / "index")
        stamp = {"tokeniser": TOKENISER_VERSION, "covers": covers}
        (fresh / STAMP).write_text(json.dumps(stamp), encoding="utf-8")
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
        if main is None or len(changes) > settings.REBUILD_SHARE * len(main):
            self._main = UnitBM25Retriever.build(_visible(self._read_units(None), committed), self._fetch)
            if self._main is not None:
                self._save(self._main, committed)
            self._main_hashes, self._delta_hashes, self._retriever = dict(committed), {}, self._main
            self._delta = None
            return
        changed = {a: committed[a] for a in changes if a in committed}
        if changed != self._delta_hashes:
            delta = (
                UnitBM25Retriever.build(_visible(self._read_units(changed), changed), self._fetch) if changed else None
            )
            shards = [shard for shard in (self._main, delta) if shard is not None]
            self._retriever = fused(shards) if len(shards) > 1 else next(iter(shards), None)
            self._delta_hashes, self._delta = changed, delta


def _changes(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {a for a, _ in before.items() ^ after.items()}


def _visible(units: Iterable[StoredUnit], committed: dict[str, str]) -> Iterator[StoredUnit]:
    return (unit for unit in units if committed.get(unit[2].get("article_id")) == unit[2].get("content_hash"))
