"""Sentence-level units with exact character offsets; a reported claim is never cut from its speaker.

Sentences come from NLTK's pre-trained English Punkt model (shipped inside llama-index-core, so it
works offline). Punkt splits `"It is over." said Dr. Jones` and `… a “wiser alternative.” This approach,
they argue, …` apart, and cuts a quotation of several sentences into pieces whose speaker comes only
after the last; the merge rules below put such pieces back with the sentence they belong to.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rag import settings
from rag.attribution.cues import PERSONAL_TITLES
from rag.attribution.spans import opens_quotation
from rag.imports import hidden
from rag.ingest.articles import Article

# A piece that continues the previous sentence rather than starting a new one.
CONTINUATION_START = re.compile(r"^[\"“”‘’'«»(\[]?\s*[a-z]")
# A pronoun speaker whose antecedent is in the sentence before ("This approach, they argue, …").
PRONOUN_CUE_VERBS = (
    "said",
    "says",
    "say",
    "added",
    "adds",
    "argued",
    "argue",
    "argues",
    "noted",
    "notes",
    "stressed",
    "warned",
    "warns",
    "insisted",
    "insists",
    "claimed",
    "claims",
    "believe",
    "believes",
    "explained",
    "told",
    "tell",
    "tells",
    "admitted",
    "admits",
    "stated",
    "states",
    "continued",
    "wrote",
    "writes",
)
PRONOUN_CUE = re.compile(
    r"\b(?:he|she|they|it)\s+(?:also\s+)?(?:" + "|".join(PRONOUN_CUE_VERBS) + r")\b", re.IGNORECASE
)
# A piece that is nothing but a quotation: its speaker is in the sentence before.
BARE_QUOTE = re.compile(r"^[\"“«][^\"“”«»]+[\"”»]\s*$|^[\"“«][^\"“”«»]+[.!?][\"”»]$", re.DOTALL)
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Chunk:
    """A span of an article. `text` is always `article.text[start:end]` (see `chunk_article`)."""

    article_id: str
    index: int
    start: int
    end: int
    text: str


@cache
def _punkt():
    with hidden("sklearn", "scipy"):
        import nltk
        from nltk.tokenize import PunktTokenizer

    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llama-index-core is not installed; it ships the English sentence model")
    nltk_data = Path(next(iter(spec.submodule_search_locations))) / "_static" / "nltk_cache"
    if str(nltk_data) not in nltk.data.path:
        nltk.data.path.insert(0, str(nltk_data))
    # NLTK's ReDoS guard puts a 5 s wall-clock limit on every match, meant for patterns callers supply; Punkt's
    # own are linear. The clock runs on while another thread holds the GIL (Chroma's add of one batch takes
    # seconds at a million units), and a 100,000-article ingest failed on it. Article size is bounded at load.
    nltk.redos.DEFAULT_TIMEOUT = None
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(TITLE_ABBREVIATIONS)
    return tokenizer


# Titles before a name, as Punkt's abbreviation types (lower case, no final full stop): without them "said Capt.
# Ana Ruiz" ends a sentence after "Capt." and the speaker lands in the next unit.
TITLE_ABBREVIATIONS = frozenset(
    {title.lower() for title in PERSONAL_TITLES} | {"lt.-cmdr", "lt.-col", "lt.-gen", "maj.-gen"}
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Punkt sentence offsets, never crossing a blank line (a paragraph break)."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"\S(?:.*?\S)??(?=\s*\n\s*\n|\s*\Z)", text, re.DOTALL):
        base = para.start()
        spans.extend((base + s, base + e) for s, e in _punkt().span_tokenize(para.group()))
    return spans


def _belongs_to_previous(piece: str, prev: str) -> bool:
    if CONTINUATION_START.match(piece) or opens_quotation(prev):
        return True
    if PRONOUN_CUE.search(piece[:80]):
        return True
    if BARE_QUOTE.match(piece) and re.search(r"[\"”»]", prev):
        return True
    return len(WORD.findall(piece)) < settings.MIN_UNIT_WORDS


def _same_paragraph(text: str, end: int, start: int) -> bool:
    return text.count("\n", end, start) < 2


def chunk_article(article: Article) -> list[Chunk]:
    """Split an article into sentence units (merging pieces that belong together) with exact offsets."""
    text, body = article.text, article.body_start
    merged: list[list[int]] = []
    for start, end in sentence_spans(text):
        if end <= body:
            continue
        start = max(start, body)
        if (
            merged
            and _same_paragraph(text, merged[-1][1], start)
            and end - merged[-1][0] <= settings.MAX_UNIT_CHARS
            and _belongs_to_previous(text[start:end], text[merged[-1][0] : merged[-1][1]])
        ):
            merged[-1][1] = end
        else:
            merged.append([start, end])
    units = [(s, e) for s, e in merged if len(WORD.findall(text[s:e])) >= settings.MIN_UNIT_WORDS]
    return [Chunk(article.id, i, s, e, text[s:e]) for i, (s, e) in enumerate(units)]
