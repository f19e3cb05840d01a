"""Evaluation report files: JSON, Markdown, and a self-contained HTML page with an inline SVG chart."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from rag.evaluation.qa import METRICS, format_table

BAR_COLOURS = {"ours": "#2563eb", "baseline": "#9ca3af"}


def svg_chart(report: dict) -> str:
    """Grouped bars of the overall metrics, one colour per system; no scripts, no external assets."""
    systems = report["systems"]
    width, height, left, bottom = 720, 260, 170, 30
    row = (height - bottom) / len(METRICS)
    bar = row / (len(systems) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (key, label) in enumerate(METRICS):
        y = i * row
        parts.append(
            f'<text x="{left - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" font-size="12">{escape(label)}</text>'
        )
        for j, (name, summary) in enumerate(systems.items()):
            value = summary["overall"][key]
            length = (width - left - 60) * (value or 0)
            top = y + j * bar + bar / 2
            colour = BAR_COLOURS.get(name, "#6b7280")
            parts.append(
                f'<rect x="{left}" y="{top:.1f}" width="{length:.1f}" height="{bar * 0.9:.1f}" fill="{colour}"/>'
            )
            shown = "–" if value is None else f"{value:.2f}"
            parts.append(f'<text x="{left + length + 4:.1f}" y="{top + bar * 0.7:.1f}" font-size="11">{shown}</text>')
    for j, name in enumerate(systems):
        x = left + j * 120
        parts.append(
            f'<rect x="{x}" y="{height - 18}" width="12" height="12" fill="{BAR_COLOURS.get(name, "#6b7280")}"/>'
        )
        parts.append(f'<text x="{x + 16}" y="{height - 8}" font-size="12">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def tables_html(markdown: str) -> str:
    """The Markdown tables of `format_table` as HTML tables, every cell escaped."""
    blocks = []
    for block in markdown.strip().split("\n\n"):
        rows = [line.strip("|").split("|") for line in block.splitlines() if not line.startswith("|---")]
        header = "".join(f"<th>{escape(cell.strip())}</th>" for cell in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{escape(c.strip())}</td>" for c in row) + "</tr>" for row in rows[1:])
        blocks.append(f"<table><tr>{header}</tr>{body}</table>")
    return "<br>".join(blocks)


def failures_markdown(report: dict) -> str:
    lines = ["| system | id | kind | question | answer given |", "|---|---|---|---|---|"]
    for name, summary in report["systems"].items():
        for f in summary["failures"]:
            given = " ".join(f["answer"].split())[:160].replace("|", "\\|")
            lines.append(f"| {name} | {f['id']} | {f['kind']} | {f['question']} | {given} |")
    return "\n".join(lines)


def write_report(report: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    table = format_table(report)
    markdown = (
        f"# Evaluation report\n\nQA file: `{report['qa']}` ({report['rows']} rows)\n\n{table}\n\n"
        f"## Failed rows\n\n{failures_markdown(report)}\n"
    )
    failure_rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{escape(f['id'])}</td><td>{escape(f['kind'])}</td>"
        f"<td>{escape(f['question'])}</td><td>{escape(' '.join(f['answer'].split())[:300])}</td></tr>"
        for name, summary in report["systems"].items()
        for f in summary["failures"]
    )
    html = (
        '<!doctype html><html><head><meta charset="utf-8"><title>Evaluation report</title>'
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
        "td,th{border:1px solid #ddd;padding:4px 8px;font-size:13px;vertical-align:top}</style></head><body>"
        f"<h1>Evaluation report</h1><p>QA file: {escape(report['qa'])} ({report['rows']} rows)</p>"
        f"{svg_chart(report)}<h2>Metrics</h2>{tables_html(table)}"
        "<h2>Failed rows</h2><table><tr><th>system</th><th>id</th><th>kind</th><th>question</th>"
        "<th>answer given</th></tr>"
        f"{failure_rows}</table></body></html>"
    )
    paths = [folder / "report.md", folder / "report.html", folder / "report.json"]
    paths[0].write_text(markdown, encoding="utf-8")
    paths[1].write_text(html, encoding="utf-8")
    paths[2].write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return paths
