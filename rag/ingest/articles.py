"""Articles on disk: front matter + body kept byte for byte, validated before anything is indexed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

MAX_ARTICLE_BYTES = 2 * 1024 * 1024
ARTICLE_SUFFIXES = (".md", ".txt")
REQUIRED_FIELDS = ("title", "outlet", "date")
OPTIONAL_FIELDS = ("id", "url", "language", "preamble", "outlet_group")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)


class CorpusError(ValueError):
    """A file that cannot become an article; the message says which file and what to fix."""

    def __init__(self, source: str | Path, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = str(source)
        self.problem = problem


@dataclass(frozen=True)
class Article:
    """One news article. `text` is the body exactly as given: every offset in the product points into it."""

    id: str
    title: str
    outlet: str
    date: str
    text: str
    url: str | None = None
    language: str = "en"
    source: str = ""
    preamble: str = ""  # text a scraper put before the article proper (" date 2025-02-01 …"): kept, never indexed
    outlet_group: str = ""  # the kind of outlet ("wire service", "state media"), to compare coverage by group

    @property
    def content_hash(self) -> str:
        """Changes when the body or any metadata shown with a citation changes."""
        meta = {k: v for k, v in asdict(self).items() if k not in ("text", "source")}
        digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
        digest.update(self.text.encode("utf-8"))
        return digest.hexdigest()

    @property
    def body_hash(self) -> str:
        """Identifies the same text filed twice under different ids or metadata."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def body_start(self) -> int:
        """Offset where the article proper begins: after leading white space and the preamble."""
        lead = len(self.text) - len(self.text.lstrip())
        if not self.preamble or not self.text.startswith(self.preamble, lead):
            return lead
        after = lead + len(self.preamble)
        return after + len(self.text[after:]) - len(self.text[after:].lstrip())

    def metadata(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if k != "text" and v is not None}


def slugify(value: str, max_len: int = 60) -> str:
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_value.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "article"


def read_text(path: Path) -> str:
    """Read a file as UTF-8 text, refusing empty, huge, binary and mis-encoded files with a clear reason."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CorpusError(path, f"cannot read file ({exc.strerror})") from exc
    if size == 0:
        raise CorpusError(path, "file is empty")
    if size > MAX_ARTICLE_BYTES:
        raise CorpusError(
            path, f"file is {size / 1e6:.1f} MB; the limit is {MAX_ARTICLE_BYTES / 1e6:.1f} MB per article"
        )
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise CorpusError(path, "looks like a binary file (it contains NUL bytes); articles must be UTF-8 text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(path, f"is not valid UTF-8 (bad byte at offset {exc.start}); re-save it as UTF-8") from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise CorpusError(path, "file holds only white space")
    return text


def parse_article(text: str, source: str | Path, default_id: str | None = None) -> Article:
    """Split front matter from the body and validate the metadata; the body is not altered."""
    match = FRONT_MATTER.match(text)
    if not match:
        if text.startswith("---"):
            raise CorpusError(source, "front matter opened with '---' but never closed by a '---' line")
        raise CorpusError(
            source,
            "no front matter: start the file with '---', lines 'title: …', 'outlet: …', 'date: YYYY-MM-DD', "
            "then '---' (or use `python -m rag add FILE --title … --outlet … --date …`)",
        )
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(source, f"front matter is not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(meta, dict):
        raise CorpusError(source, "front matter must be 'key: value' lines")
    unknown = sorted(set(map(str, meta)) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        allowed = ", ".join(REQUIRED_FIELDS + OPTIONAL_FIELDS)
        raise CorpusError(source, f"unknown front matter field(s) {', '.join(unknown)}; allowed: {allowed}")
    missing = [name for name in REQUIRED_FIELDS if not str(meta.get(name) or "").strip()]
    if missing:
        raise CorpusError(source, f"front matter lacks {', '.join(missing)}")
    body = text[match.end() :]
    if not body.strip():
        raise CorpusError(source, "article body is empty")
    preamble = str(meta.get("preamble") or "")
    if preamble and not body.lstrip().startswith(preamble):
        raise CorpusError(source, f"preamble {preamble[:40]!r} is not how the body begins; copy it from the body")
    article_id = str(meta.get("id") or default_id or "").strip()
    if not ID_PATTERN.match(article_id):
        raise CorpusError(source, f"id {article_id!r} must be lower-case letters, digits, '.', '_' or '-' (max 128)")
    return Article(
        id=article_id,
        title=_single_line(meta["title"], "title", source),
        outlet=_single_line(meta["outlet"], "outlet", source),
        date=_iso_date(meta["date"], source),
        url=_single_line(meta["url"], "url", source) if meta.get("url") else None,
        language=_single_line(meta.get("language") or "en", "language", source),
        text=body,
        source=str(source),
        preamble=preamble,
        outlet_group=_single_line(meta["outlet_group"], "outlet_group", source) if meta.get("outlet_group") else "",
    )


def load_article(path: str | Path) -> Article:
    path = Path(path)
    return parse_article(read_text(path), path, default_id=slugify(path.stem, 128))


def article_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into their article files (sorted, READMEs skipped); name missing paths clearly."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.iterdir()
                    if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES and not p.name.lower().startswith("readme")
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CorpusError(path, "no such file or folder")
    return found


def new_article(
    text: str,
    *,
    title: str,
    outlet: str,
    date: str,
    url: str | None = None,
    article_id: str | None = None,
    language: str = "en",
    source: str | Path = "",
) -> Article:
    """A validated article from a plain-text body and metadata given separately (CLI `add`, page upload)."""
    if text.startswith("---"):
        raise CorpusError(source, "already has front matter; add it as an article file instead")
    iso_date = _iso_date(date, source)
    draft = Article(
        id=article_id or f"{slugify(outlet, 30)}-{iso_date}-{slugify(title, 60)}",
        title=title,
        outlet=outlet,
        date=iso_date,
        url=url or None,
        language=language,
        text=text,
    )
    return parse_article(render_article_file(draft), source)


def render_article_file(article: Article) -> str:
    """Front matter + body, the inverse of parse_article."""
    meta = {"id": article.id, "title": article.title, "outlet": article.outlet, "date": article.date}
    if article.url:
        meta["url"] = article.url
    meta["language"] = article.language
    if article.preamble:
        meta["preamble"] = article.preamble
    if article.outlet_group:
        meta["outlet_group"] = article.outlet_group
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n{article.text}"


def write_article_file(article: Article, corpus_dir: Path) -> Path:
    """Store an article in the corpus folder atomically; never overwrite a different article."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    target = corpus_dir / f"{article.id}.md"
    content = render_article_file(article)
    if target.exists() and target.read_text(encoding="utf-8") != content:
        raise CorpusError(target, "a different article with this id already exists; choose another --id")
    fd, tmp = tempfile.mkstemp(dir=corpus_dir, prefix=".tmp-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
        os.replace(tmp, target)
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # a full disk leaves no partial file in the corpus folder
        raise
    return target


def _single_line(value: object, field: str, source: str | Path) -> str:
    text = str(value).strip()
    if "\n" in text or len(text) > 500:
        raise CorpusError(source, f"{field} must be a single line of at most 500 characters")
    return text


def _iso_date(value: object, source: str | Path) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as exc:
        raise CorpusError(source, f"date {value!r} is not a YYYY-MM-DD date") from exc
