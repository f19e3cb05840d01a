"""PolNeAR (Newell, Margolin & Ruths, LREC 2018): US political news with attributions in brat standoff.

Layout: DIR/data/{train,dev,test}/text/NAME.txt and DIR/data/{split}/attributions/NAME_ANNOTATOR.ann.
Each attribution is an event `E1 Attribution:T4 Content:T3 Cue:T2 Source:T1` over text-bound spans;
a span may be discontinuous (`Content 10 20;25 40`). Our spans are contiguous, so a discontinuous one
becomes the span from its first to its last character, the way our rules report a content interrupted
by its own cue ("This approach, they argue, would …"). A few texts have several annotators: the first
file (by name) is used, as the corpus papers do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rag.attribution.spans import Attribution, Span, quote_type
from rag.attribution.tagger import ROLES
from rag.evaluation.standoff import StandoffError

IDENT = re.compile(r"[TE]\d+")


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    attributions: tuple[Attribution, ...]
    fragments: tuple[tuple[str, int, int], ...]  # (role, start, end) of every annotated piece, for tagging


def _fragments(offsets: str) -> list[tuple[int, int]]:
    pieces = []
    for piece in offsets.split(";"):
        start, end = piece.split()
        pieces.append((int(start), int(end)))
    return pieces


def read_polnear_ann(path: Path, text: str) -> tuple[list[Attribution], list[tuple[str, int, int]]]:
    """Attributions (cue and content required) and every role fragment of one annotation file."""
    pieces: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    events: list[dict[str, str]] = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        ident, _, rest = line.partition("\t")
        if not IDENT.fullmatch(ident):
            continue  # a span's text that runs over a line break, or a note
        try:
            if ident.startswith("T"):
                header = rest.partition("\t")[0]
                role, _, offsets = header.partition(" ")
                pieces[ident] = (role, _fragments(offsets))
            elif ident.startswith("E"):
                events.append(dict(arg.split(":", 1) for arg in rest.split()))
        except ValueError as exc:
            raise StandoffError(f"{path}:{line_no}: cannot read {line!r} ({exc})") from exc
    fragments = [
        (role.rstrip("2"), start, end)
        for role, parts in pieces.values()
        if role.rstrip("2") in ROLES
        for start, end in parts
    ]
    attributions = []
    for event in events:

        def span(role: str, event: dict[str, str] = event) -> Span | None:
            ident = event.get(role)
            if ident is None or ident not in pieces:
                return None
            parts = pieces[ident][1]
            return Span.of(text, parts[0][0], parts[-1][1])

        cue, content = span("Cue"), span("Content")
        if cue is None or content is None:
            continue
        attributions.append(Attribution(span("Source"), cue, content, quote_type(content.text)))
    return sorted(attributions, key=lambda a: (a.cue.start, a.content.start)), fragments


def read_split(root: Path, split: str) -> list[Document]:
    """Every annotated text of one split ("train" or "dev"); the test split is never read here."""
    if split == "test":
        raise ValueError("the PolNeAR test split is kept for independent evaluation and is never read here")
    folder = root / "data" / split if (root / "data").is_dir() else root / split
    if not (folder / "text").is_dir():
        raise StandoffError(f"{root}: no PolNeAR {split} split (expected data/{split}/text and attributions)")
    annotations: dict[str, Path] = {}
    for ann in sorted((folder / "attributions").glob("*.ann")):
        annotations.setdefault(ann.stem.rsplit("_", 1)[0], ann)
    documents = []
    for name, ann in sorted(annotations.items()):
        text_path = folder / "text" / f"{name}.txt"
        if not text_path.exists():
            continue
        text = text_path.read_text(encoding="utf-8")
        attributions, fragments = read_polnear_ann(ann, text)
        documents.append(Document(name, text, tuple(attributions), tuple(fragments)))
    return documents
