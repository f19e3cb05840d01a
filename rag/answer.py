"""Grounded answers: compose from verbatim spans, abstain when the corpus is silent, verify before showing.

The default composer needs no language model: it cites the units that answer the question and shows
each one verbatim, so speakers, cues and "according to" chains stay exactly as the article has them.
`verify` checks any answer, whoever composed it, against the article texts by character offsets.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from rag.actors.names import ActorNames
from rag.attribution.spans import Attribution, Span
from rag.lexical import QUESTION_WORDS, content_terms, matched, name_terms, recall, speaker_asked, tokens

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

MAX_QUESTION_CHARS = 2000
MAX_CITED = 3
# A unit is cited beside the best one when its reranked score is this close to the best's.
SCORE_MARGIN = 0.12
# Below this best bi-encoder cosine, or without a majority of the question's content words, the corpus is silent.
MIN_COSINE = 0.20
MIN_TERM_RECALL = 0.51  # a strict majority of the question's content words
# A verbatim excerpt is a Markdown block quote (every line of it starts with "> ") whose last line ends in [n].
EXCERPT_END = re.compile(r" \[(\d+)\]$")
CITATION_MARK = re.compile(r"\[(\d+)\]")
QUOTED = (re.compile(r"“([^”\n]*)”"), re.compile(r"«\s?([^»\n]*?)\s?»"), re.compile(r'"([^"\n]*)"'))


class QuestionError(ValueError):
    """A question that cannot be asked; the message is meant for the user."""


@dataclass(frozen=True)
class Citation:
    n: int
    article_id: str
    outlet: str
    start: int
    end: int
    text: str
    title: str = ""
    date: str = ""


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    attributions: list[dict[str, Any]] = field(default_factory=list)
    verified: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_question(question: str) -> str:
    cleaned = " ".join(question.split())
    if not cleaned:
        raise QuestionError("The question is empty.")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionError(f"The question is {len(cleaned):,} characters long; ask in at most {MAX_QUESTION_CHARS:,}.")
    return cleaned


def abstention(question: str, reason: str) -> Answer:
    return Answer(question, f"The indexed articles do not answer this question. {reason}".strip(), True)


def _missing_words(question: str, wanted: set[str], present: set[str]) -> list[str]:
    missing = wanted - matched(wanted, present)
    words = [w for w in tokens(question) if w.lower() not in QUESTION_WORDS]
    return list(dict.fromkeys(w for w in words if content_terms(w) & missing))


def unanswered_reason(question: str, hits: list[NodeWithScore], actors: ActorNames) -> str | None:
    """Why the retrieved passages cannot answer the question, or None when they can.

    The bi-encoder alone cannot tell "What did Olaf Scholz say?" (cosine 0.57 to a passage about
    another speaker) from a real paraphrase, so three lexical tests come first: every name in the
    question occurs in a candidate (or names an actor a candidate names otherwise: "Germany" for
    "Berlin"); a speaker asked about ("What did X say?") is named in one candidate; at least half of
    the question's content words occur in the candidates.
    """
    if not hits:
        return "No indexed passage is related to it."
    if not content_terms(question):
        return "It has no word to look for in the articles (questions are matched in English)."
    passages = [content_terms(hit.node.get_content()) for hit in hits]
    named_there = actors.actors_in(" ".join(hit.node.get_content() for hit in hits))
    present = set().union(*passages) | content_terms(
        " ".join(name for actor, names in actors.actors_in(question).items() if actor in named_there for name in names)
    )
    names = name_terms(question)
    if matched(names, present) != names:
        return f"No passage found about: {', '.join(_missing_words(question, names, present))}."
    speaker = speaker_asked(question)
    speaker_terms = content_terms(speaker) if speaker else set()
    if speaker_terms and not any(matched(speaker_terms, terms) == speaker_terms for terms in passages):
        return f"No passage reports what {speaker} said."
    terms = content_terms(question)
    if recall(terms, present) < MIN_TERM_RECALL:
        return f"The closest passages do not mention: {', '.join(_missing_words(question, terms, present))}."
    if max(hit.node.metadata.get("cosine", 1.0) for hit in hits) < MIN_COSINE:
        return "No passage is close enough in meaning."
    return None


def speaker_line(n: int, attribution: Attribution, cited_start: int, cited_end: int) -> str:
    """Who said it, by which cue, through which chain: every name quoted verbatim from the cited span."""

    def shown(span: Span | None) -> bool:
        return span is not None and cited_start <= span.start and span.end <= cited_end

    if shown(attribution.source):
        who = f"“{attribution.source.text}”"
        if shown(attribution.resolved_source):
            who += f", i.e. “{attribution.resolved_source.text}”"
    else:
        who = "no named source"
    chain = [
        f"“{link.text}”" if link.span else link.text for link in attribution.chain if not link.span or shown(link.span)
    ]
    details = [f"cue “{attribution.cue.text}”", attribution.quote_type, attribution.source_kind.replace("_", " ")]
    if any(link.role not in ("speaker", "published_by") for link in attribution.chain):
        details.append("chain " + " → ".join(chain))
    return f"Speaker [{n}]: {who} · " + " · ".join(details)


def choose_passages(question: str, hits: list[NodeWithScore], max_cited: int) -> list[NodeWithScore]:
    """The best passage, those scoring close to it, and those naming an actor the others leave out.

    "Compare Peskov and Miroshnik" needs one passage per name even when the second scores lower.
    """
    best = hits[0]
    chosen = [best]
    covered = content_terms(best.node.get_content())
    wanted = name_terms(question)
    for hit in hits[1:]:
        if len(chosen) >= max_cited:
            break
        close = (hit.score or 0) >= (best.score or 0) - SCORE_MARGIN
        names = content_terms(hit.node.get_content())
        adds_actor = bool(matched(wanted - matched(wanted, covered), names))
        if close or adds_actor:
            chosen.append(hit)
            covered |= names
    return chosen


def compose(
    question: str,
    hits: list[NodeWithScore],
    texts: dict[str, str],
    attributions: dict[tuple[str, int], list[Attribution]],
    actors: ActorNames,
    lead: str | None = None,
    max_cited: int = MAX_CITED,
) -> Answer:
    """Cite the best-supported units verbatim with their speakers, or abstain when they do not cover the question."""
    reason = unanswered_reason(question, hits, actors)
    if reason:
        return abstention(question, reason)
    chosen = choose_passages(question, hits, max_cited)
    citations: list[Citation] = []
    shown: list[dict[str, Any]] = []
    lines: list[str] = [lead] if lead else []
    for article_id in dict.fromkeys(hit.node.metadata["article_id"] for hit in chosen):
        meta = next(hit.node.metadata for hit in chosen if hit.node.metadata["article_id"] == article_id)
        lines.append(f"{meta['outlet']} ({meta['date']}) reports:")
        for hit in chosen:
            if hit.node.metadata["article_id"] != article_id:
                continue
            start, end = int(hit.node.metadata["start"]), int(hit.node.metadata["end"])
            n = len(citations) + 1
            text = texts[article_id][start:end]
            citations.append(Citation(n, article_id, meta["outlet"], start, end, text, meta["title"], meta["date"]))
            lines.append("> " + text.replace("\n", "\n> ") + f" [{n}]")
            for attribution in attributions.get((article_id, int(hit.node.metadata["unit"])), []):
                lines.append(speaker_line(n, attribution, start, end))
                shown.append({"n": n, "article_id": article_id, **attribution.to_dict()})
    return Answer(question, "\n".join(lines), False, citations, shown)


def excerpts(answer_text: str) -> list[tuple[int, str]]:
    """The (citation number, verbatim text) of each block-quoted excerpt in an answer."""
    found: list[tuple[int, str]] = []
    block: list[str] = []
    for line in answer_text.splitlines():
        if not line.startswith("> "):
            block = []
            continue
        block.append(line[2:])
        end = EXCERPT_END.search(line)
        if end:
            block[-1] = block[-1][: end.start() - 2]
            found.append((int(end[1]), "\n".join(block)))
            block = []
    return found


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
        for role in ("source", "cue", "content", "resolved_source"):
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
    cited = [c.text for c in answer.citations]
    for pattern in QUOTED:
        for quoted in pattern.findall(answer.answer):
            if quoted.strip() and not any(quoted in text for text in cited):
                problems.append(f"quoted text not found verbatim in a cited span: {quoted[:80]!r}")
    return problems
