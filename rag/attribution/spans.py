"""Attribution data: spans are offsets into the article text, and their text is derived from those."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rag.attribution.cues import POSSESSIVE_SOURCES, PRONOUN_SOURCES, QUOTE_PAIRS, RELATIVE_SOURCES

STAND_IN_SOURCES = frozenset(PRONOUN_SOURCES) | RELATIVE_SOURCES | POSSESSIVE_SOURCES

QuoteType = Literal["direct", "indirect", "mixed"]
SourceKind = Literal["named_person", "named_organisation", "anonymous", "outlet", "none"]


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    text: str

    @classmethod
    def of(cls, text: str, start: int, end: int) -> Span:
        return cls(start, end, text[start:end])

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class ChainLink:
    """One step of a reporting chain: who said it, to whom, relayed by which outlet."""

    role: Literal["speaker", "told", "according_to", "cited_by", "published_by"]
    text: str
    span: Span | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "text": self.text, **(self.span.to_dict() if self.span else {})}


@dataclass(frozen=True)
class Attribution:
    source: Span | None
    cue: Span
    content: Span
    quote_type: QuoteType
    source_kind: SourceKind = "none"
    resolved_source: Span | None = None
    chain: tuple[ChainLink, ...] = field(default=())
    recipient: Span | None = None  # whoever was told ("told reporters"): beside the cue, not in it

    @property
    def speaker(self) -> Span | None:
        """The source as the article names it, a pronoun ("he", "who") replaced by its antecedent and a surname
        by the fuller name before it; none for a pronoun without one: a reader learns nothing from "it" or
        "who" as a speaker."""
        return self.resolved_source or self.named_source

    @property
    def named_source(self) -> Span | None:
        """The source as written here, unless it only stands in for a name ("he", "who")."""
        if self.source is not None and self.source.text.lower() in STAND_IN_SOURCES:
            return None
        return self.source

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.to_dict() if self.source else None,
            "cue": self.cue.to_dict(),
            "content": self.content.to_dict(),
            "quote_type": self.quote_type,
            "source_kind": self.source_kind,
            "resolved_source": self.resolved_source.to_dict() if self.resolved_source else None,
            "chain": [link.to_dict() for link in self.chain],
            "recipient": self.recipient.to_dict() if self.recipient else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attribution:
        def span(value: dict[str, Any] | None) -> Span | None:
            return Span(value["start"], value["end"], value["text"]) if value else None

        def link(value: dict[str, Any]) -> ChainLink:
            return ChainLink(value["role"], value["text"], span(value) if "start" in value else None)

        return cls(
            source=span(data["source"]),
            cue=span(data["cue"]),
            content=span(data["content"]),
            quote_type=data["quote_type"],
            source_kind=data["source_kind"],
            resolved_source=span(data.get("resolved_source")),
            chain=tuple(link(item) for item in data.get("chain", [])),
            recipient=span(data.get("recipient")),
        )


def quote_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of every balanced quotation within text[start:end], marks included."""
    end = len(text) if end is None else end
    found: list[tuple[int, int]] = []
    i = start
    while i < end:
        closing = QUOTE_PAIRS.get(text[i])
        if closing is not None:
            j = text.find(closing, i + 1, end)
            if j > i + 1:
                found.append((i, j + 1))
                i = j + 1
                continue
        i += 1
    return found


def opens_quotation(text: str) -> bool:
    """True when the text opens a quotation it does not close (a quotation running on into the next sentence)."""
    i = 0
    while i < len(text):
        closing = QUOTE_PAIRS.get(text[i])
        if closing is not None:
            j = text.find(closing, i + 1)
            if j < 0:
                return True
            i = j
        i += 1
    return False


def quote_type(content: str) -> QuoteType:
    """Direct when the content is one quotation, mixed when it contains one, indirect otherwise."""
    stripped = content.strip()
    quotes = quote_spans(stripped)
    if quotes and quotes[0][0] == 0 and quotes[0][1] >= len(stripped.rstrip(".,;:!?")):
        return "direct"
    return "mixed" if quotes else "indirect"
