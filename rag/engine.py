"""The one façade the CLI and the page share: ingest, list, remove, ask. Heavy models load lazily.

A question reads top-down: check it, understand it into a plan, answer the plan with the component for
its kind (`rag.question.components`), verify the answer against the articles (`rag.question.verify`).
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rag import settings
from rag.config import Config, go_offline
from rag.index.library import Library
from rag.ingest.articles import Article, CorpusError, load_article, write_article_file
from rag.ingest.pipeline import IngestReport, ingest, remove_article
from rag.question import components
from rag.question.answer import Answer, abstention, check_question
from rag.question.plan import understand
from rag.question.prose import LLMSpec, load_llm, prose_answers
from rag.question.verify import verify
from rag.store.catalog import Catalog, CatalogEntry

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

NOTHING_INDEXED = (
    "No article is indexed yet. Add articles to the corpus folder and run `python -m rag ingest`, "
    "or upload them in the Corpus tab."
)
WITHHELD = "An answer was found but failed verification against the articles."


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        go_offline()
        self.config = config or Config.from_env()
        self.catalog = Catalog(self.config)
        self.library = Library(self.config, self.catalog)
        self._warming = threading.Lock()
        self._warm = False

    @property
    def collection(self) -> Collection:
        return self.library.retrieval.collection

    def articles(self, newest: int | None = None) -> list[CatalogEntry]:
        return self.catalog.entries(newest)

    def ingest(self, paths: Iterable[str | Path] | None = None, progress: bool = True) -> IngestReport:
        return ingest(paths or [self.config.corpus_dir], self.catalog, self.collection, progress)

    def add(self, article: Article) -> tuple[Path, IngestReport]:
        """Store a new article in the corpus folder and index it; a rejected article leaves no file behind."""
        other = self.catalog.body_owners({article.body_hash}).get(article.body_hash, article.id)
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
    ) -> Answer:
        """A verified answer; raises QuestionError for a question that cannot be asked."""
        return list(self.ask_stream(question, top_k, article_ids, llm))[-1]

    def ask_stream(
        self,
        question: str,
        top_k: int = settings.DEFAULT_TOP_K,
        article_ids: Sequence[str] | None = None,
        llm: LLMSpec | None = None,
    ) -> Iterator[Answer]:
        """The verified answer; with a language model, first each verified part of its prose as it is written.
        The last answer yielded is the whole one."""
        question = check_question(question)
        if not self.catalog.hashes():
            yield Answer(question, NOTHING_INDEXED, True)
            return
        self.warm_up()
        scope = tuple(article_ids) if article_ids else None
        plan = understand(question, self.library.actors.names(), top_k, scope, self.library.outlets())
        grounded = self._verified(components.answer(plan, self.library))
        if llm is None or grounded is None or grounded.abstained:
            yield grounded or abstention(question, WITHHELD)
            return
        final = None
        for answer in prose_answers(question, grounded, load_llm(llm)):
            final = self._verified(answer, quiet=answer.answer == "")
            if final is not None:
                yield final
        if final is None:
            yield grounded

    def _verified(self, answer: Answer, quiet: bool = False) -> Answer | None:
        """The answer marked verified, or None when it fails the check against the articles."""
        cited = {c.article_id for c in answer.citations} | {a["article_id"] for a in answer.attributions}
        problems = verify(answer, self.catalog.texts(cited))
        if problems:
            if not quiet:
                print(f"answer withheld, verification failed: {'; '.join(problems)}", file=sys.stderr)
            return None
        return replace(answer, verified=True)
