"""Does the corpus folder agree with the catalog and Chroma? Report every disagreement; repair on request.

The corpus folder is the truth: every valid article file should be committed at its current version,
every committed article should have its file, and Chroma should hold exactly the committed versions'
units. A file that ingest rejects (bad, or a duplicate of another file's text) is reported and left
alone: deleting a user's file is never automatic. So is an actor alias file that cannot be read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rag.actors.names import read_alias_file
from rag.ingest.articles import CorpusError, article_files, load_article
from rag.store.catalog import Catalog
from rag.store.chroma import unit_metadata

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection


@dataclass
class CheckReport:
    not_indexed: list[str] = field(default_factory=list)  # files whose current version is not committed
    no_file: list[str] = field(default_factory=list)  # committed articles with no file in the corpus folder
    rejected: list[str] = field(default_factory=list)  # files ingest would reject, with the reason
    wrong_units: list[str] = field(default_factory=list)  # committed articles whose units in Chroma are off
    orphan_units: int = 0  # units of no committed version
    aliases: str | None = None  # why the actor alias file cannot be read (it is then ignored)

    @property
    def clean(self) -> bool:
        return not (self.not_indexed or self.no_file or self.wrong_units or self.orphan_units)

    def lines(self) -> list[str]:
        found = [f"not indexed: {item}" for item in self.not_indexed]
        found += [f"indexed but no corpus file: {item}" for item in self.no_file]
        found += [f"units missing or extra in Chroma: {item}" for item in self.wrong_units]
        found += [f"{self.orphan_units} units of no committed article in Chroma"] if self.orphan_units else []
        found += [f"rejected file (left in place): {item}" for item in self.rejected]
        found += [f"actor aliases ignored: {self.aliases}"] if self.aliases else []
        return found


def _unit_counts(collection: Collection) -> Counter[tuple[str, str]]:
    """Units in Chroma per (article id, content hash)."""
    return Counter((m["article_id"], m["content_hash"]) for _, m in unit_metadata(collection))


def check(catalog: Catalog, collection: Collection, folder: Path, alias_file: Path) -> CheckReport:
    """Compare the corpus folder with the catalog, and the catalog with Chroma's units."""
    report = CheckReport()
    committed = {entry.article.id: entry for entry in catalog.entries()}
    files: dict[str, Path] = {}
    bodies: dict[str, str] = {}
    for path in article_files([folder]) if folder.is_dir() else []:
        try:
            article = load_article(path)
        except CorpusError as exc:
            report.rejected.append(str(exc))
            continue
        if article.id in files or bodies.get(article.body_hash, article.id) != article.id:
            report.rejected.append(f"{path}: same id or text as {files.get(article.id) or bodies[article.body_hash]}")
            continue
        files[article.id], bodies[article.body_hash] = path, article.id
        entry = committed.get(article.id)
        if entry is None or entry.content_hash != article.content_hash:
            report.not_indexed.append(str(path))
    report.no_file = sorted(set(committed) - set(files))
    counts = _unit_counts(collection)
    for article_id, entry in committed.items():
        if counts.pop((article_id, entry.content_hash), 0) != entry.n_units:
            report.wrong_units.append(article_id)
    report.orphan_units = sum(counts.values())
    if alias_file.is_file():
        try:
            read_alias_file(alias_file)
        except ValueError as exc:
            report.aliases = str(exc)
    return report
