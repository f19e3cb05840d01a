"""The one check every answer passes before display: every citation, excerpt, quote and speaker span is
verbatim in its article, by character offsets, whoever composed the answer (a quote is in a cited passage or
is a speaker's fuller name); every outlet an answer names and every count of outlets agree with its
citations."""

from __future__ import annotations

import re

from rag.question.answer import CITATION_MARK, QUOTED, Answer, excerpts

# "Coast Herald (2025-09-03) reports:" / "… relies on these sources:" / "Coast Herald (2025-09-03):"
OUTLET_LINE = re.compile(
    r"^(?P<outlet>[^>\-\[].*?) \((?P<date>\d{4}-\d{2}-\d{2})\)(?: reports| relies on these sources)?:$"
)
OUTLET_COUNT = re.compile(r"^(?:(?P<carry>\d+) of |All )(?P<total>\d+) outlets (?:carry this claim|answer this)")


def _outlet_problems(answer: Answer) -> list[str]:
    problems = []
    outlets = {(c.outlet, c.date) for c in answer.citations}
    for line in answer.answer.splitlines():
        named = OUTLET_LINE.match(line)
        if named and (named["outlet"], named["date"]) not in outlets:
            problems.append(f"outlet line names {named['outlet']!r}, which no citation is from")
        counted = OUTLET_COUNT.match(line)
        if counted:
            cited = {c.outlet for c in answer.citations if f"[{c.n}]" in line}
            carry = int(counted["carry"] or counted["total"])  # "All N outlets" carry it: N of N
            if carry != len(cited) or carry > int(counted["total"]):
                problems.append(f"'{counted[0]}' but the line cites {len(cited)} outlet(s)")
    return problems


def verify(answer: Answer, texts: dict[str, str]) -> list[str]:
    """Every problem that makes an answer unfit to show; an empty list means it may be shown."""
    problems: list[str] = []
    by_n = {c.n: c for c in answer.citations}
    for c in answer.citations:
        article = texts.get(c.article_id)
        if article is None:
            problems.append(f"citation [{c.n}] names unknown article {c.article_id!r}")
        elif not (0 <= c.start < c.end <= len(article)) or article[c.start : c.end] != c.text:
            problems.append(f"citation [{c.n}] text is not article[{c.start}:{c.end}]")
    for item in answer.attributions:
        article = texts.get(item["article_id"], "")
        for role in ("source", "cue", "content", "resolved_source", "recipient"):
            span = item.get(role)
            if span and article[span["start"] : span["end"]] != span["text"]:
                problems.append(
                    f"attribution {role} {span['text'][:40]!r} is not article[{span['start']}:{span['end']}]"
                )
    if answer.abstained:
        return problems + (["an abstention carries citations"] if answer.citations else [])
    if not answer.citations:
        problems.append("an answer without citations")
    marks = {int(n) for n in CITATION_MARK.findall(answer.answer)}
    problems += [f"[{n}] has no citation" for n in sorted(marks - set(by_n))]
    problems += [f"citation [{n}] is never referred to" for n in sorted(set(by_n) - marks)]
    for n, excerpt in excerpts(answer.answer):
        if n in by_n and excerpt not in by_n[n].text:
            problems.append(f"excerpt for [{n}] is not verbatim in its citation")
    problems += _outlet_problems(answer)
    # A speaker's fuller name may come from outside the cited passages; its offsets are checked above.
    cited = [c.text for c in answer.citations] + [
        item["resolved_source"]["text"] for item in answer.attributions if item.get("resolved_source")
    ]
    for pattern in QUOTED:
        for quoted in pattern.findall(answer.answer):
            if quoted.strip() and not any(quoted in text for text in cited):
                problems.append(f"quoted text not found verbatim in a cited span: {quoted[:80]!r}")
    return problems
