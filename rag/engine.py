"""The one door: the page, the command line, `check` and `eval` reach the corpus through an `Engine` only.

It writes (ingest, add, remove, repair) and answers (ask, with the conversation so far), and it hands out
the read-side views they show (articles, who said what, actor tables, stories, a story's claims).

A question reads top-down: check it, make it stand alone (`question.follow_up`), understand it into a plan
(`question.plan`), answer the plan with the component for its kind (`question.components`), verify the
answer against the articles (`question.verify`).

Heavy parts (llama-index, Chroma, spaCy, the models) are imported on first use, here: see `rag.imports`.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag import settings
from rag.config import Config, go_offline
from rag.faults import crash_point
from rag.ingest.articles import Article, CorpusError, load_article, write_article_file
from rag.question.answer import Answer, abstention, check_question
from rag.store.catalog import Catalog, CatalogEntry
from rag.store.guard import disk_errors, refuse_if_served, serving, write_lock

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import NodeWithScore

    from rag.compare.positions import ActorRow
    from rag.index.library import Library
    from rag.index.retrieval import Rerank
    from rag.index.who_said_what import SpeakerRow
    from rag.ingest.consistency import CheckReport
    from rag.ingest.pipeline import IngestReport
    from rag.question.prose import LLMSpec

NOTHING_INDEXED = (
    "No article is indexed yet. Add articles to the corpus folder and run `python -m rag ingest`, "
    "or upload them in the Corpus tab."
)
WITHHELD = "An answer was found but failed verification against the articles."


class StoreUnavailable(ConnectionError):
    """The Chroma server does not answer: the question can be asked again once it is back."""


@dataclass(frozen=True)
class CorpusSummary:
    articles: int
    outlets: list[str]  # sorted


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        go_offline()
        self.config = config or Config.from_env()
        self.catalog = Catalog(self.config)
        self._warming = threading.Lock()
        self._warm = False
        self._serves = False

    @cached_property
    def library(self) -> Library:
        from rag.index.library import Library

        return Library(self.config, self.catalog)

    @property
    def collection(self) -> Collection:
        return self.library.retrieval.collection

    # --- the corpus -------------------------------------------------------------------------------------

    def articles(self, newest: int | None = None) -> list[CatalogEntry]:
        return self.catalog.entries(newest)

    def article(self, article_id: str) -> Article | None:
        entry = self.catalog.get(article_id)
        return entry.article if entry else None

    def summary(self) -> CorpusSummary:
        return CorpusSummary(self.catalog.count(), sorted(self.library.outlets().articles))

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Held by a page process while it serves: on an embedded Chroma, the home is its alone to write
        (`rag.store.guard`)."""
        if self.config.chroma_url:
            yield
            return
        with serving(self.config.home):
            self._serves = True
            try:
                yield
            finally:
                self._serves = False

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Every write: one at a time per home, across threads and processes, never behind a serving page's
        back, and a full disk as one error (`rag.store.guard`)."""
        with write_lock(self.config.home), disk_errors(self.config.home, self.config.corpus_dir):
            if not self.config.chroma_url and not self._serves:
                refuse_if_served(self.config.home)
            yield

    def ingest(self, paths: Iterable[str | Path] | None = None, progress: bool = True) -> IngestReport:
        with self._writing():
            return self._ingest(paths, progress)

    def _ingest(self, paths: Iterable[str | Path] | None, progress: bool) -> IngestReport:
        from rag.ingest.pipeline import ingest

        return ingest(paths or [self.config.corpus_dir], self.catalog, self.collection, progress)

    def add(self, article: Article) -> tuple[Path, IngestReport]:
        """Store a new article in the corpus folder and index it; a rejected article leaves no file behind."""
        with self._writing():
            return self._add(article)

    def _add(self, article: Article) -> tuple[Path, IngestReport]:
        other = self.catalog.body_owners({article.body_hash}).get(article.body_hash, article.id)
        if other != article.id:
            raise CorpusError(article.source or article.id, f"same text as indexed article {other!r}; not added")
        target = self.config.corpus_dir / f"{article.id}.md"
        self.catalog.writes.clear_removals([str(target.resolve())])  # a removal cut short must not take it
        existed = target.exists()
        target = write_article_file(article, self.config.corpus_dir)
        crash_point("corpus_file_written")
        try:
            report = self._ingest([target], progress=False)
        except Exception:
            # An upload whose write stopped (a full disk) before its commit leaves no file for a later ingest.
            if not existed and self.catalog.get(article.id) is None:
                target.unlink(missing_ok=True)
            raise
        if report.errors and not existed:
            target.unlink(missing_ok=True)
        return target, report

    def remove(self, article_id: str, delete_file: bool = True) -> bool:
        """Remove an article from the index and its file from the corpus folder, so no ingest brings it back
        (`remove_article` says how a crash half-way is finished)."""
        with self._writing():
            return self._remove(article_id, delete_file)

    def _remove(self, article_id: str, delete_file: bool) -> bool:
        from rag.ingest.pipeline import remove_article

        entry = self.catalog.get(article_id)
        files = self._corpus_files_of(entry.article) if entry is not None and delete_file else []
        return remove_article(article_id, self.catalog, self.collection, files)

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

    def check(self) -> CheckReport:
        """Where the corpus folder, the catalog and Chroma disagree."""
        from rag.ingest.consistency import check

        with self._store_errors():
            return check(self.catalog, self.collection, self.config.corpus_dir, self.library.actors.alias_file)

    def repair(self, report: CheckReport) -> None:
        """Make the index match the corpus folder: drop what has no file, rebuild what is off, index the rest."""
        from rag.store.database import EVERY_ARTICLE

        with self._writing():
            for article_id in report.no_file + report.wrong_units:
                self._remove(article_id, delete_file=False)
            if report.orphan_units:
                self.catalog.writes.mark_pending([EVERY_ARTICLE])  # the next ingest scans Chroma for orphans
            self._ingest(None, progress=False)

    # --- questions --------------------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Load the models and indexes answers use, once; the page starts this before the first question."""
        with self._warming:
            if not self._warm:
                self.library.warm_up()
                # What start-up loaded lives as long as the process: a full collection walked all of it
                # (135 ms at 100,000 articles, landing on whichever question triggered it).
                gc.freeze()
                self._warm = True

    def ask(
        self,
        question: str,
        top_k: int = settings.DEFAULT_TOP_K,
        article_ids: Sequence[str] | None = None,
        llm: LLMSpec | None = None,
        history: Sequence[str] = (),
    ) -> Answer:
        """A verified answer; raises QuestionError for a question that cannot be asked."""
        return list(self.ask_stream(question, top_k, article_ids, llm, history))[-1]

    def ask_stream(
        self,
        question: str,
        top_k: int = settings.DEFAULT_TOP_K,
        article_ids: Sequence[str] | None = None,
        llm: LLMSpec | None = None,
        history: Sequence[str] = (),
    ) -> Iterator[Answer]:
        """The verified answer; with a language model, first each verified part of its prose as it is written.
        The last answer yielded is the whole one. `history` holds the conversation's earlier questions as
        answered (each answer's `question`): a follow-up ("And France?") is answered as the question it
        stands for, which becomes the answer's `question`."""
        from rag.question import components
        from rag.question.follow_up import standalone_question
        from rag.question.plan import understand

        question = check_question(question)
        if history:
            outlets, names = self.library.outlets(), self.library.actors.names()
            question = check_question(standalone_question(question, list(history), outlets, names))
        if not self.catalog.hashes():
            yield Answer(question, NOTHING_INDEXED, True)
            return
        with self._store_errors():
            self.warm_up()
            scope = tuple(article_ids) if article_ids else None
            plan = understand(question, self.library.actors.names(), top_k, scope, self.library.outlets())
            grounded = components.answer(plan, self.library, self._problems)
        if llm is None or grounded is None or grounded.abstained:
            yield grounded or abstention(question, WITHHELD)
            return
        from rag.question.prose import load_llm, prose_answers

        final = None
        for answer in prose_answers(question, grounded, load_llm(llm)):
            final = self._verified(answer, quiet=answer.answer == "")
            if final is not None:
                yield final
        if final is None:
            yield grounded

    @contextmanager
    def _store_errors(self) -> Iterator[None]:
        """A Chroma server that does not answer, or a full disk under an embedded one (it writes as it reads),
        as one clear error. Nothing needs restarting when it is back: each request opens its own connection."""
        import httpx

        try:
            with disk_errors(self.config.home, self.config.corpus_dir):
                yield
        except httpx.TransportError as exc:
            raise StoreUnavailable(
                f"the Chroma server at {self.config.chroma_url} does not answer ({exc}); ask again when it is back"
            ) from exc

    def _problems(self, answer: Answer) -> list[str]:
        """Where the answer disagrees with the articles it cites (nothing: it may be shown)."""
        from rag.question.verify import verify

        cited = {c.article_id for c in answer.citations} | {a["article_id"] for a in answer.attributions}
        return verify(answer, self.catalog.texts(cited))

    def _verified(self, answer: Answer, quiet: bool = False) -> Answer | None:
        """The answer marked verified, or None when it fails the check against the articles."""
        problems = self._problems(answer)
        if problems:
            if not quiet:
                print(f"answer withheld, verification failed: {'; '.join(problems)}", file=sys.stderr)
            return None
        return replace(answer, verified=True)

    def retrieve(
        self, question: str, top_k: int, dense: bool = True, lexical: bool = True, rerank: Rerank = "answers"
    ) -> list[NodeWithScore]:
        """The passages one configuration of the retrieval pipeline finds (eval measures each stage)."""
        retrieval = self.library.retrieval
        pipeline = retrieval.pipeline(top_k, dense=dense, lexical=lexical, rerank=rerank)
        return pipeline.retrieve(retrieval.query(question)) if pipeline else []

    def vector_index(self) -> VectorStoreIndex:
        """The llama-index vector index over the stored units, for a plain pipeline to compare against."""
        return self.library.retrieval.index

    # --- who said what, and comparisons -----------------------------------------------------------------

    def who_said(self, article_id: str | None = None, needle: str = "", newest: int | None = None) -> list[SpeakerRow]:
        """Speakers and their statements, most quoted first: of one article; otherwise of every article (or of
        the `newest`) and, with a filter, of articles anywhere in the corpus whose speaker phrases have its
        words (through the speaker index). `needle` keeps speakers or statements that contain it."""
        from rag.index.who_said_what import speaker_table

        if article_id is not None and self.catalog.get(article_id) is None:
            from rag.question.answer import QuestionError

            raise QuestionError(f"No indexed article with id {article_id!r}.")
        needle = needle.strip().lower()
        if article_id:
            scope: set[str] | None = {article_id}
        elif newest is None:
            scope = None
        else:
            scope = {e.article.id for e in self.articles(newest)}
            phrases = frozenset(self.catalog.speakers.phrases(needle.split())) if needle else frozenset()
            if phrases:
                scope |= self.catalog.speakers.articles_spoken_in(phrases, newest)
        rows = speaker_table(self.catalog.speakers.attributions(scope))
        return sorted(
            (
                r
                for r in rows
                if not needle or needle in r.speaker.lower() or any(needle in c.lower() for c in r.contents)
            ),
            key=lambda r: -r.count,
        )

    def actor_table(self, topic: str | None = None, article_ids: Sequence[str] | None = None) -> list[ActorRow]:
        """One row per actor across the chosen articles (default all); with a topic, only evidence close to it."""
        return self.library.actor_table(topic, article_ids)

    def compare_articles(self, article_ids: Sequence[str]) -> dict[str, Any]:
        """For each pair of articles, the claims they share, those only one carries, and how they differ."""
        from rag.compare.article_pairs import compare_articles

        return compare_articles(self.library.article_views(article_ids))

    def stories(self, article_ids: Sequence[str] | None = None) -> list[list[str]]:
        """The given articles (default all) grouped by the event they report."""
        from rag.compare.article_pairs import stories

        return stories(self.library.article_views(article_ids)) if article_ids is None or article_ids else []

    def story_matrix(self, article_ids: Sequence[str]) -> dict[str, Any]:
        """A story's claims across its outlets, and how the outlets' accounts differ."""
        from rag.compare.story_claims import story_matrix

        return story_matrix(self.library.article_views(article_ids))
