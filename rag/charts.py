"""One small SVG bar chart, drawn for the eval report, the page's actor positions and the scale bench.

Self-contained (no script, font or stylesheet from anywhere), and every label is escaped: the page shows
actor names taken from articles.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

ROW_HEIGHT = 22
LABEL_WIDTH = 180
TEXT_ROOM = 110  # right of the longest bar, for its text


@dataclass(frozen=True)
class Bar:
    value: float | None  # None draws no bar, only its text
    colour: str
    text: str  # shown after the bar


def bar_chart(rows: list[tuple[str, list[Bar]]], legend: dict[str, str], full: float | None = None) -> str:
    """Horizontal bars grouped by row (label, bars), then a legend (name -> colour). A bar of value `full`
    (default: the largest) spans the plot."""
    width = 720
    most = full or max((bar.value or 0 for _, bars in rows for bar in bars), default=0) or 1
    span = width - LABEL_WIDTH - TEXT_ROOM
    bar_height = ROW_HEIGHT * 0.8
    y = 0.0
    parts = []
    for label, bars in rows:
        top = y
        for bar in bars:
            length = span * (bar.value or 0) / most
            if bar.value is not None:
                parts.append(
                    f'<rect x="{LABEL_WIDTH}" y="{y + 2:.1f}" width="{length:.1f}" height="{bar_height:.1f}" '
                    f'fill="{escape(bar.colour, quote=True)}"/>'
                )
            after = LABEL_WIDTH + length + 4
            parts.append(f'<text x="{after:.1f}" y="{y + bar_height:.1f}" font-size="11">{escape(bar.text)}</text>')
            y += ROW_HEIGHT
        middle = (top + y) / 2 + 4
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.1f}" text-anchor="end" font-size="12">{escape(label)}</text>'
        )
        y += ROW_HEIGHT / 3
    for i, (name, colour) in enumerate(legend.items()):
        x = 10 + i * 140
        parts.append(f'<rect x="{x}" y="{y + 6:.1f}" width="10" height="10" fill="{escape(colour, quote=True)}"/>')
        parts.append(f'<text x="{x + 14}" y="{y + 15:.1f}" font-size="11">{escape(name)}</text>')
    height = y + ROW_HEIGHT + 4
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" role="img">'
        + "".join(parts)
        + "</svg>"
    )
