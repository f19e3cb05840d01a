"""The grounded composer: cite the passages that answer a question verbatim, each with its speakers.

It needs no language model: each cited unit is shown verbatim, so speakers, cues and "according to"
chains stay exactly as the article has them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rag import settings
from rag.actors.names import ActorNames
from rag.attribution.spans import Attribution, Span
from rag.index.terms import content_terms, matched
from rag.question.answer import Answer, Citation, cite
from rag.question.answer_phrase import answer_phrase, tells_what_is_asked
from rag.question.answerable import answers

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

    from rag.index.library import Library
    from rag.question.plan import Plan


def speaker_line(n: int, attribution: Attribution, cited_start: int, cited_end: int) -> str:
    """Who said it, by which cue, through which chain: every name quoted verbatim from the cited span, and the
    fuller name a pronoun or surname stands for from wherever the article gave it."""

    def shown(span: Span | None) -> bool:
        return span is not None and cited_start <= span.start and span.end <= cited_end

    if shown(attribution.source):
        who = f"“{attribution.source.text}”"
        resolved = attribution.resolved_source
        if resolved is not None:
            who += f", i.e. “{resolved.text}”" + ("" if shown(resolved) else " (named earlier in the article)")
    else:
        who = "no named source"
    chain = [
        f"“{link.text}”" if link.span else link.text for link in attribution.chain if not link.span or shown(link.span)
    ]
    cue = f"cue “{attribution.cue.text}”"
    if shown(attribution.recipient):
        cue += f" to “{attribution.recipient.text}”"
    details = [cue, attribution.quote_type, attribution.source_kind.replace("_", " ")]
    if any(link.role not in ("speaker", "published_by") for link in attribution.chain):
        details.append("chain " + " → ".join(chain))
    return f"Speaker [{n}]: {who} · " + " · ".join(details)


def choose_passages(plan: Plan, hits: list[NodeWithScore], max_cited: int, actors: ActorNames) -> list[NodeWithScore]:
    """The best passage, then those naming an actor the chosen ones leave out, then the others the answer
    ranker rates as answering (`CITED_AT`) in rank order; for a question asking for a value, one of each article
    not cited yet first, up to `VALUES_CITED` (so outlets that differ are all shown).

    "Compare Peskov and Miroshnik" needs one passage per name even when the second scores lower.
    """
    best = hits[0]
    chosen = [best]
    wanted = set(plan.names)

    def names(hit: NodeWithScore) -> set[str]:
        text = hit.node.get_content()
        return content_terms(f"{text} {actors.named_in(plan.actors, text)}")

    covered = names(best)
    for hit in hits[1:]:
        named = names(hit) if len(chosen) < max_cited else set()
        if matched(wanted - matched(wanted, covered), named):
            chosen.append(hit)
            covered |= named
    answering = [hit for hit in hits[1:] if hit not in chosen and answers(hit) >= settings.CITED_AT]
    cited_articles = {hit.node.metadata["article_id"] for hit in chosen}
    for hit in answering if plan.expects else []:
        article_id = hit.node.metadata["article_id"]
        if article_id not in cited_articles and len(chosen) < settings.VALUES_CITED:
            chosen.append(hit)
            cited_articles.add(article_id)
    for hit in answering:
        if len(chosen) < max_cited and hit not in chosen:
            chosen.append(hit)
    return sorted(chosen, key=hits.index)


def answer_line(plan: Plan, citations: list[Citation], texts: dict[str, str]) -> str | None:
    """The answer phrases of the given cited sentences (those the ranker rates as answering), each quoted and
    cited, alike values together: “400,000 homes” [1][2], “500,000 homes” [3] (the outlets differ). Outlets
    differ only when two of them give different values (one outlet's two figures are two facts), and agree when
    two or more give one value, however each writes it ("66%" / "66 per cent", "about 3,000" / "some 3,000",
    "200 km" / "124 miles").
    When some values sit beside a word the question asks about (`tells_what_is_asked`), only those are shown."""
    phrases = []
    for citation in citations:
        text = texts[citation.article_id]
        phrase = answer_phrase(plan, text, citation.start, citation.end)
        if phrase is not None:
            phrases.append((citation, phrase, tells_what_is_asked(plan, text, phrase, citation.start, citation.end)))
    if any(about for _, _, about in phrases):  # values of what was asked, not every value of the type
        phrases = [found for found in phrases if found[2]]
    cited: dict[str, list[Citation]] = {}
    shown: dict[str, str] = {}
    for citation, phrase, _ in phrases:
        value = compared_value(phrase.text)
        value = next((known for known in cited if same_value(known, value)), value)
        shown.setdefault(value, phrase.text)
        cited.setdefault(value, []).append(citation)
    if not cited:
        return None
    line = ", ".join(f"“{shown[value]}” " + "".join(f"[{c.n}]" for c in found) for value, found in cited.items())
    outlets = {value: {c.outlet for c in found} for value, found in cited.items()}
    if any(a != b and outlets[a] != outlets[b] for a in outlets for b in outlets):
        return line + " (the outlets differ)"
    return line + (" (the outlets agree)" if len(cited) == 1 and len(next(iter(outlets.values()))) > 1 else "")


# Words that only round a figure ("about 3,000", "some 3,000"): the figure is the same.
ROUNDING = re.compile(r"\b(?:about|around|some|roughly|approximately|an estimated|the)\b")


def compared_value(phrase: str) -> str:
    """A value as outlets' values are compared: lower case, figures without thousands separators, "per cent"
    and "percent" as "%", rounding words and plural endings left out."""
    text = phrase.lower().replace("per cent", "%").replace("percent", "%")
    text = ROUNDING.sub(" ", re.sub(r"(?<=\d),(?=\d{3})", "", text))
    words = re.findall(r"\d+(?:\.\d+)?|%|[^\W\d_]+", text)
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


# A length or a mass in any unit outlets write it in: what it measures, and one unit in the base unit of that.
UNITS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(("km", "kilometer", "kilometre"), ("length", 1000.0)),
    **dict.fromkeys(("meter", "metre"), ("length", 1.0)),  # not "m": "$5m" is five million
    **dict.fromkeys(("mi", "mile"), ("length", 1609.344)),
    **dict.fromkeys(("ft", "foot", "feet"), ("length", 0.3048)),
    **dict.fromkeys(("kg", "kilogram", "kilogramme"), ("mass", 1.0)),
    **dict.fromkeys(("tonne", "metric ton"), ("mass", 1000.0)),
}
MEASURE = re.compile(r"(?P<number>\d+(?:\.\d+)?) ?(?P<unit>" + "|".join(sorted(UNITS, key=len, reverse=True)) + r")\b")
# Measures this close are one value: outlets convert and round ("200 km (124 miles)", "200 kilometers (120 miles)").
SAME_MEASURE = 0.05


def measure(value: str) -> tuple[str, float] | None:
    """A compared value's length or mass in the base unit ("200 km" -> ("length", 200000.0)), or None."""
    found = MEASURE.search(value)
    if found is None:
        return None
    kind, size = UNITS[found["unit"]]
    return kind, float(found["number"]) * size


def same_value(a: str, b: str) -> bool:
    """Two compared values are one: alike, or measures of one kind within `SAME_MEASURE` of each other."""
    if a == b:
        return True
    first, second = measure(a), measure(b)
    if first is None or second is None or first[0] != second[0]:
        return False
    return abs(first[1] - second[1]) <= SAME_MEASURE * max(first[1], second[1])


def compose(
    plan: Plan,
    hits: list[NodeWithScore],
    library: Library,
    lead: str | None = None,
    max_cited: int = settings.MAX_CITED,
) -> Answer:
    """Cite the best-supported units verbatim with their speakers (the caller has decided that they answer)."""
    return cite_passages(plan, choose_passages(plan, hits, max_cited, library.actors.names()), library, lead)


def cite_passages(plan: Plan, chosen: list[NodeWithScore], library: Library, lead: str | None = None) -> Answer:
    """The answer citing these units, grouped by article: each verbatim, with the speakers of its
    attributions; the answer phrase and the `lead` first."""
    article_ids = list(dict.fromkeys(hit.node.metadata["article_id"] for hit in chosen))
    articles = library.articles(article_ids)
    attributions = library.attributions_by_unit(set(article_ids))
    citations: list[Citation] = []
    answering: list[Citation] = []  # those whose passage the ranker rates as answering: they give the phrase
    shown: list[dict[str, Any]] = []
    lines: list[str] = []
    for article_id in article_ids:
        article = articles[article_id]
        lines.append(f"{article.outlet} ({article.date}) reports:")
        for hit in chosen:
            if hit.node.metadata["article_id"] != article_id:
                continue
            n = len(citations) + 1
            citation = cite(n, article, int(hit.node.metadata["start"]), int(hit.node.metadata["end"]))
            citations.append(citation)
            if answers(hit) >= settings.ANSWERING_AT:
                answering.append(citation)
            lines.append("> " + citation.text.replace("\n", "\n> ") + f" [{n}]")
            for attribution in attributions.get((article_id, int(hit.node.metadata["unit"])), []):
                if attribution.speaker is not None:  # "no named source" or a bare "it" only add noise
                    lines.append(speaker_line(n, attribution, citation.start, citation.end))
                shown.append({"n": n, "article_id": article_id, **attribution.to_dict()})
    first = answer_line(plan, answering, {a: articles[a].text for a in article_ids}) if plan.expects else None
    lines = [line for line in (first, lead) if line] + lines
    return Answer(plan.question, "\n".join(lines), False, citations, shown)
