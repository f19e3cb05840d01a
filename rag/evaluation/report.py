"""Evaluation report files: JSON, Markdown, and a self-contained HTML page with an inline SVG chart."""

from __future__ import annotations

import json
import re
from pathlib import Path

from markdown_it import MarkdownIt

from rag.charts import Bar, bar_chart
from rag.evaluation.qa import METRICS, format_table

BAR_COLOURS = {"ours": "#2563eb", "baseline": "#9ca3af"}
# CommonMark with tables, raw HTML off: every cell, question and answer in the report is escaped.
MARKDOWN = MarkdownIt("js-default")
MARKDOWN_PUNCTUATION = re.compile(r"[\\`*_{}\[\]<>()#+!|~]")


def svg_chart(report: dict) -> str:
    """Grouped bars of the overall metrics, one colour per system."""
    systems = report["systems"]
    colours = {name: BAR_COLOURS.get(name, "#6b7280") for name in systems}
    rows = []
    for key, label in METRICS:
        values = [(name, summary["overall"][key]) for name, summary in systems.items()]
        bars = [Bar(v, colours[name], "–" if v is None else f"{v:.2f}") for name, v in values]
        rows.append((label, bars))
    return bar_chart(rows, colours, full=1.0)


def cell(text: str) -> str:
    """Text as one Markdown table cell, read literally: on one line, its Markdown punctuation escaped."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\g<0>", " ".join(text.split()))


def failures_markdown(report: dict) -> str:
    lines = ["| system | id | kind | question | answer given |", "|---|---|---|---|---|"]
    for name, summary in report["systems"].items():
        for f in summary["failures"]:
            row = (name, f["id"], f["kind"], f["question"], " ".join(f["answer"].split())[:160])
            lines.append("| " + " | ".join(cell(value) for value in row) + " |")
    return "\n".join(lines)


def write_report(report: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    table = format_table(report)
    heading = f"# Evaluation report\n\nQA file: {cell(report['qa'])} ({report['rows']} rows)\n\n"
    body = f"{table}\n\n## Failed rows\n\n{failures_markdown(report)}\n"
    html = (
        '<!doctype html><html><head><meta charset="utf-8"><title>Evaluation report</title>'
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
        "td,th{border:1px solid #ddd;padding:4px 8px;font-size:13px;vertical-align:top}</style></head><body>"
        f"{MARKDOWN.render(heading)}{svg_chart(report)}{MARKDOWN.render(body)}</body></html>"
    )
    markdown = heading + body
    paths = [folder / "report.md", folder / "report.html", folder / "report.json"]
    paths[0].write_text(markdown, encoding="utf-8")
    paths[1].write_text(html, encoding="utf-8")
    paths[2].write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return paths
