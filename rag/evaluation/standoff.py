"""Brat standoff (.ann) for attribution gold: text-bound Source / Cue / Content spans linked by relations.

    T1  Cue 128 134  citing
    T2  Source 117 126  The Times
    R1  Source Arg1:T1 Arg2:T2
    R2  Content Arg1:T1 Arg2:T3
    A1  QuoteType T1 indirect
    A2  SourceKind T1 outlet

Each Cue is one attribution; its Source and Content hang off it by relations.
"""

from __future__ import annotations

from pathlib import Path

from rag.attribution.spans import Attribution, Span


class StandoffError(ValueError):
    pass


def read_ann(ann_path: Path, text: str) -> list[Attribution]:
    spans: dict[str, tuple[str, Span]] = {}
    links: dict[str, dict[str, str]] = {}
    attrs: dict[str, dict[str, str]] = {}
    for line_no, line in enumerate(ann_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        ident, _, rest = line.partition("\t")
        try:
            if ident.startswith("T"):
                header, _, shown = rest.partition("\t")
                role, start, end = header.split()
                span = Span.of(text, int(start), int(end))
                if span.text != shown:
                    raise StandoffError(f"{ann_path}:{line_no}: text {shown!r} is not text[{start}:{end}]")
                spans[ident] = (role, span)
            elif ident.startswith("R"):
                role, arg1, arg2 = rest.split()
                links.setdefault(arg1.removeprefix("Arg1:"), {})[role] = arg2.removeprefix("Arg2:")
            elif ident.startswith("A"):
                name, target, value = rest.split()
                attrs.setdefault(target, {})[name] = value
        except ValueError as exc:
            raise StandoffError(f"{ann_path}:{line_no}: cannot read {line!r} ({exc})") from exc
    result = []
    for ident, (role, cue) in spans.items():
        if role != "Cue":
            continue
        linked = links.get(ident, {})
        if "Content" not in linked:
            raise StandoffError(f"{ann_path}: cue {ident} has no Content relation")
        result.append(
            Attribution(
                source=spans[linked["Source"]][1] if "Source" in linked else None,
                cue=cue,
                content=spans[linked["Content"]][1],
                quote_type=attrs.get(ident, {}).get("QuoteType", "indirect"),
                source_kind=attrs.get(ident, {}).get("SourceKind", "none"),
            )
        )
    return sorted(result, key=lambda a: (a.cue.start, a.content.start))


def write_ann(attributions: list[Attribution]) -> str:
    lines: list[str] = []
    counter = {"T": 0, "R": 0, "A": 0}

    def next_id(kind: str) -> str:
        counter[kind] += 1
        return f"{kind}{counter[kind]}"

    for attribution in attributions:
        cue_id = next_id("T")
        lines.append(f"{cue_id}\tCue {attribution.cue.start} {attribution.cue.end}\t{attribution.cue.text}")
        for role, span in (("Source", attribution.source), ("Content", attribution.content)):
            if span is None:
                continue
            span_id = next_id("T")
            lines.append(f"{span_id}\t{role} {span.start} {span.end}\t{span.text}")
            lines.append(f"{next_id('R')}\t{role} Arg1:{cue_id} Arg2:{span_id}")
        lines.append(f"{next_id('A')}\tQuoteType {cue_id} {attribution.quote_type}")
        lines.append(f"{next_id('A')}\tSourceKind {cue_id} {attribution.source_kind}")
    return "\n".join(lines) + "\n"
