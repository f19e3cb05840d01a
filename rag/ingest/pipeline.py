"""Article files -> validated articles -> sentence units -> embeddings -> Chroma + catalog.

Idempotent and incremental: an article whose content hash is already committed costs nothing; a changed
one replaces its units; units of removed or half-ingested versions are swept. See `store` for why a
crash never leaves a half-written article visible.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from llama_index.core.schema import TextNode
from tqdm import tqdm

from rag import settings
from rag.actors.mentions import article_names
from rag.actors.names import Name
from rag.attribution.extract import extract_attributions, parse
from rag.attribution.spans import Attribution
from rag.attribution.tagger import tagger
from rag.faults import crash_point
from rag.ingest.articles import Article, CorpusError, article_files, load_article
from rag.ingest.units import Chunk, chunk_article
from rag.models.encoder import embed_model
from rag.store.catalog import Catalog
from rag.store.chroma import unit_id, unit_metadata
from rag.store.database import EVERY_ARTICLE

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection


STAGES = ("chunk", "attribute", "embed", "store")
# The most units sent in one Chroma write (it accepts up to 5,461).
CHROMA_MAX_WRITE = 5000


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    units: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.errors)} rejected",
            f"{self.units} units embedded in {self.seconds:.1f}s",
        ]
        return ", ".join(parts)


def unit_nodes(article: Article, chunks: list[Chunk]) -> list[TextNode]:
    """llama-index nodes for an article's units; metadata carries what finding and citing a unit needs (the
    article's title, outlet and date are read from the catalog)."""

    content_hash = article.content_hash
    return [
        TextNode(
            id_=unit_id(article.id, content_hash, chunk.index),
            text=chunk.text,
            metadata={
                "article_id": article.id,
                "content_hash": content_hash,
                "unit": chunk.index,
                "start": chunk.start,
                "end": chunk.end,
            },
            start_char_idx=chunk.start,
            end_char_idx=chunk.end,
        )
        for chunk in chunks
    ]


TAGGING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagger")


@dataclass(frozen=True)
class Analysis:
    """What one parse of an article yields: attributions (with the unit holding each cue) and actor names."""

    attributions: list[tuple[int | None, Attribution]]
    names: list[Name]


def analyse_article(article: Article, chunks: list[Chunk]) -> Analysis:
    """Attributions, each with the unit holding its cue so answers can cite it, and the actors named.

    The tagger reads the text on its own thread while spaCy parses it (ONNX Runtime lets go of the GIL):
    on the scale bench's 100 articles the two take 9.5 s side by side, 12.2 s one after the other.
    """

    def unit_of(offset: int) -> int | None:
        return next((c.index for c in chunks if c.start <= offset < c.end), None)

    tagging = TAGGING.submit(tagger().tag, article.text)
    doc = parse(article.text)
    found = extract_attributions(article.text, article.outlet, doc, article.body_start, tagging.result())
    attributions = [(unit_of(a.cue.start), a) for a in found]
    return Analysis(attributions, article_names(doc))


def load_articles(paths: Iterable[str | Path], report: IngestReport) -> list[Article]:
    """Validate every file; a bad file or a duplicate is reported and skipped, never fatal to the rest."""
    articles: list[Article] = []
    seen_ids: dict[str, str] = {}
    seen_bodies: dict[str, str] = {}
    for path in article_files(paths):
        try:
            article = load_article(path)
        except CorpusError as exc:
            report.errors.append(str(exc))
            continue
        if article.id in seen_ids:
            report.errors.append(f"{path}: id {article.id!r} is already used by {seen_ids[article.id]}")
            continue
        if article.body_hash in seen_bodies:
            report.errors.append(f"{path}: same text as {seen_bodies[article.body_hash]}; skipped as duplicate")
            continue
        seen_ids[article.id] = seen_bodies[article.body_hash] = str(path)
        articles.append(article)
    return articles


Embedder = Callable[[list[str]], list[list[float]]]
Analyser = Callable[[Article, list[Chunk]], Analysis]


def embed_texts(texts: list[str]) -> list[list[float]]:
    """Vectors in input order, encoded shortest first so each encoder batch pads little (1.7x faster on CPU)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = embed_model().get_text_embedding_batch([texts[i] for i in order])
    in_place: list[list[float]] = [[] for _ in texts]
    for i, vector in zip(order, vectors, strict=True):
        in_place[i] = vector
    return in_place


@dataclass
class _Prepared:
    article: Article
    nodes: list[TextNode]
    analysis: Analysis


def ingest_articles(
    articles: list[Article],
    catalog: Catalog,
    collection: Collection,
    report: IngestReport,
    progress: bool,
    embed: Embedder = embed_texts,
    analyse: Analyser = analyse_article,
) -> None:
    """Index the new or changed articles; `embed` and `analyse` are seams the benchmark fills from caches.

    Articles are embedded and written in batches of about `settings.WRITE_BATCH_UNITS` units: each Chroma write
    costs ~30 ms whatever its size, and the encoder is faster on full batches than on one article's units.
    A batch is embedded and written on a second thread while the next one is parsed and attributed.
    """
    committed = catalog.hashes()
    committed_bodies = catalog.body_owners({article.body_hash for article in articles})
    todo: list[Article] = []
    for article in articles:
        if committed.get(article.id) == article.content_hash:
            report.unchanged.append(article.id)
        elif committed_bodies.get(article.body_hash, article.id) != article.id:
            other = committed_bodies[article.body_hash]
            report.errors.append(f"{article.source}: same text as indexed article {other!r}; skipped as duplicate")
        else:
            todo.append(article)
    batch: list[_Prepared] = []
    with ThreadPoolExecutor(max_workers=1) as writer:
        writing: Future | None = None
        for article in tqdm(todo, desc="indexing", unit="article", disable=not progress or not todo):
            clock = time.perf_counter()
            chunks = chunk_article(article)
            nodes = unit_nodes(article, chunks)
            clock = _lap(report, "chunk", clock)
            if not nodes:
                report.errors.append(f"{article.source}: no sentence of {settings.MIN_UNIT_WORDS}+ words to index")
                continue
            batch.append(_Prepared(article, nodes, analyse(article, chunks)))
            _lap(report, "attribute", clock)
            if sum(len(p.nodes) for p in batch) >= settings.WRITE_BATCH_UNITS:
                if writing is not None:
                    writing.result()  # batches commit in order; a failed write stops the ingest here
                writing = writer.submit(_write, batch, catalog, collection, committed, report, embed)
                batch = []
        if writing is not None:
            writing.result()
    if batch:
        _write(batch, catalog, collection, committed, report, embed)


def _write(
    batch: list[_Prepared],
    catalog: Catalog,
    collection: Collection,
    committed: dict[str, str],
    report: IngestReport,
    embed: Embedder,
) -> None:
    """Embed a batch, then units -> catalog (one transaction) -> drop other versions' units.

    Units are written with their own metadata only. llama-index's `ChromaVectorStore.add` also stores each
    node serialized in a metadata string that Chroma indexes: at 1.2M units that was 3.2 GB of a 4.3 GB
    store, and 300,000 units took 860 s to write instead of 670 s. Its query reads both kinds of record.
    Nor is a unit's text stored: it is a span of its article, which the catalog holds, and Chroma's add
    took 30 % longer with documents (turning off its full-text index made no difference).
    """
    clock = time.perf_counter()
    nodes = [node for prepared in batch for node in prepared.nodes]
    for node, vector in zip(nodes, embed([node.text for node in nodes]), strict=True):
        node.embedding = vector
    clock = _lap(report, "embed", clock)
    ids = [prepared.article.id for prepared in batch]
    catalog.writes.mark_pending(ids)
    # Only articles indexed before can have other units: a new one's leftovers from a crash were pending,
    # and swept when this ingest began. (Each delete filters the whole store: ~2 s at 1.2M units.)
    updated = [a for a in ids if a in committed]
    if updated:
        _delete_units(collection, updated, keep_hashes=[committed[a] for a in updated])
    for offset in range(0, len(nodes), CHROMA_MAX_WRITE):
        written = nodes[offset : offset + CHROMA_MAX_WRITE]
        collection.add(
            ids=[node.node_id for node in written],
            embeddings=[node.get_embedding() for node in written],
            metadatas=[node.metadata for node in written],
        )
    crash_point("units_added")
    catalog.writes.commit([(p.article, len(p.nodes), p.analysis.attributions, p.analysis.names) for p in batch])
    crash_point("catalog_committed")
    if updated:
        _delete_units(
            collection, updated, keep_hashes=[p.article.content_hash for p in batch if p.article.id in committed]
        )
    crash_point("old_units_deleted")
    catalog.writes.clear_pending(ids)
    _lap(report, "store", clock)
    for prepared in batch:
        (report.updated if prepared.article.id in committed else report.added).append(prepared.article.id)
        report.units += len(prepared.nodes)


def _lap(report: IngestReport, stage: str, since: float) -> float:
    now = time.perf_counter()
    report.stage_seconds[stage] += now - since
    return now


def ingest(
    paths: Iterable[str | Path], catalog: Catalog, collection: Collection, progress: bool = True
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    sweep_orphans(catalog, collection)
    ingest_articles(load_articles(paths, report), catalog, collection, report, progress)
    report.seconds = time.perf_counter() - started
    return report


def remove_article(article_id: str, catalog: Catalog, collection: Collection, files: list[Path]) -> bool:
    """Hide first (the catalog marks the article pending and lists its files as removals), then delete its
    files and its units: a crash at any step leaves nothing visible, and the next ingest finishes the removal
    before it reads the corpus folder, so a removed article never comes back."""
    removed = catalog.writes.remove(article_id, [str(f) for f in files])
    crash_point("removal_hidden")
    _delete_files(catalog, [str(f) for f in files])
    crash_point("removal_file_deleted")
    collection.delete(where={"article_id": article_id})
    crash_point("removal_units_deleted")
    catalog.writes.clear_pending([article_id])
    return removed


def _delete_files(catalog: Catalog, paths: list[str]) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)
    catalog.writes.clear_removals(paths)


def sweep_orphans(catalog: Catalog, collection: Collection) -> None:
    """Finish what a crash interrupted: delete removed articles' files, and the units of pending articles
    that belong to no committed version."""
    _delete_files(catalog, catalog.writes.removals())
    pending = catalog.writes.pending()
    if not pending:
        return
    committed = catalog.hashes()
    if EVERY_ARTICLE in pending:
        _delete_uncommitted(collection, committed)
    else:
        for offset in range(0, len(pending), settings.SWEEP_BATCH):
            ids = pending[offset : offset + settings.SWEEP_BATCH]
            _delete_units(collection, ids, keep_hashes=[committed[a] for a in ids if a in committed])
    catalog.writes.clear_pending(pending)


def _delete_uncommitted(collection: Collection, committed: dict[str, str]) -> None:
    """Scan the whole store (after a catalog reset) for units of no committed version."""
    orphans = [unit for unit, m in unit_metadata(collection) if committed.get(m["article_id"]) != m["content_hash"]]
    for offset in range(0, len(orphans), CHROMA_MAX_WRITE):
        collection.delete(ids=orphans[offset : offset + CHROMA_MAX_WRITE])


def _delete_units(collection: Collection, article_ids: list[str], keep_hashes: list[str]) -> None:
    """Delete the articles' units except those of the given versions (content hashes are unique per article)."""
    where: dict = {"article_id": {"$in": article_ids}}
    if keep_hashes:
        where = {"$and": [where, {"content_hash": {"$nin": keep_hashes}}]}
    collection.delete(where=where)
