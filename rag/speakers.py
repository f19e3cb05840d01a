"""Speaker-centred answers built on the attribution layer: who is quoted, what X said, did X say Y."""

from __future__ import annotations

from dataclasses import dataclass

from rag.answer import Answer, Citation, speaker_line
from rag.attribution.spans import Attribution
from rag.lexical import content_terms, matched, recall
from rag.store import CatalogEntry, StoredAttribution

NO_SOURCE = "(no named source)"


def speaks_for(asked: str, attribution: Attribution) -> bool:
    """True when every content word of the asked speaker appears in the attribution's speaker phrase."""
    speaker = attribution.speaker
    return speaker is not None and _names(content_terms(asked), speaker.text)


def units_spoken_by(asked: str, by_speaker: dict[str, set[tuple[str, int]]]) -> set[tuple[str, int]]:
    """The units of every speaker phrase that has each content word of `asked` (one check per phrase)."""
    wanted = content_terms(asked)
    return {unit for phrase, units in by_speaker.items() if _names(wanted, phrase) for unit in units}


def _names(wanted: set[str], phrase: str) -> bool:
    return bool(wanted) and matched(wanted, content_terms(phrase)) == wanted


def closest_attribution(claim: str, candidates: list[Attribution]) -> Attribution | None:
    """The attribution whose content shares most of the claim's words."""
    terms = content_terms(claim)
    scored = [(recall(terms, content_terms(a.content.text)), a) for a in candidates]
    best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    return best[1] if best[0] > 0 else None


def verdict(asked: str, attribution: Attribution) -> str:
    """Confirm the speaker, or correct it with the article's own words."""
    speaker = attribution.speaker
    asked_plain = asked.strip().strip('“”"«»')
    if speaker is None:
        cue = attribution.cue.text
        return f"The article reports this without naming a source (cue “{cue}”), not as said by {asked_plain}."
    if speaks_for(asked, attribution):
        return f"Yes: the article attributes this to “{speaker.text}” (cue “{attribution.cue.text}”)."
    return (
        f"No: the article does not attribute this to {asked_plain}; it attributes it to “{speaker.text}” "
        f"(cue “{attribution.cue.text}”)."
    )


@dataclass(frozen=True)
class SpeakerRow:
    """One speaker of an article with its attributions in reading order, as `who` prints it."""

    article_id: str
    speaker: str
    items: list[StoredAttribution]

    @property
    def kind(self) -> str:
        return self.items[0].attribution.source_kind

    @property
    def cues(self) -> list[str]:
        return [item.attribution.cue.text for item in self.items]

    @property
    def contents(self) -> list[str]:
        return [item.attribution.content.text for item in self.items]

    @property
    def count(self) -> int:
        return len(self.items)


def speaker_table(stored: list[StoredAttribution]) -> list[SpeakerRow]:
    """Attributions grouped by article and by speaker as the article names them (pronouns resolved)."""
    groups: dict[tuple[str, str], list[StoredAttribution]] = {}
    for item in stored:
        speaker = item.attribution.speaker
        groups.setdefault((item.article_id, speaker.text if speaker else NO_SOURCE), []).append(item)
    return [SpeakerRow(article_id, name, items) for (article_id, name), items in groups.items()]


def sources_answer(
    question: str,
    stored: list[StoredAttribution],
    entries: dict[str, CatalogEntry],
    units: dict[tuple[str, int], tuple[int, int]],
) -> Answer:
    """Every source each article relies on, each cited at the sentence where it first speaks."""
    lines: list[str] = []
    citations: list[Citation] = []
    shown: list[dict] = []
    by_unit: dict[tuple[str, int], int] = {}
    for article_id in dict.fromkeys(item.article_id for item in stored):
        article = entries[article_id].article
        lines.append(f"{article.outlet} ({article.date}) relies on these sources:")
        for row in speaker_table([item for item in stored if item.article_id == article_id]):
            first = row.items[0]
            key = (article_id, first.unit)
            if key not in units:
                continue
            if key not in by_unit:
                start, end = units[key]
                by_unit[key] = len(citations) + 1
                citations.append(
                    Citation(
                        by_unit[key],
                        article_id,
                        article.outlet,
                        start,
                        end,
                        article.text[start:end],
                        article.title,
                        article.date,
                    )
                )
            n = by_unit[key]
            lines.append(f"- {speaker_line(n, first.attribution, *units[key])} · {row.count} attribution(s)")
            shown.append({"n": n, "article_id": article_id, **first.attribution.to_dict()})
    if not citations:
        return Answer(question, "The indexed articles do not answer this question. No attributions were found.", True)
    return Answer(question, "\n".join(lines), False, citations, shown)
