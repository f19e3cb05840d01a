"""Who said what in an article: attributions grouped by the speaker phrase the article uses."""

from __future__ import annotations

from dataclasses import dataclass

from rag.store.speaker_index import StoredAttribution


@dataclass(frozen=True)
class SpeakerRow:
    """One speaker of an article with its attributions in reading order, as `who` prints it."""

    article_id: str
    speaker: str
    items: list[StoredAttribution]

    @property
    def as_written(self) -> str:
        """The speaker phrases as the article writes them (a pronoun only when there is no other), with the
        name they stand for beside them when that is not one of them: "Ruiz (Ana Ruiz)", "he (Harbour
        Minister Karl Deane)"."""
        named = [item.attribution.named_source for item in self.items]
        sources = [source for source in named if source] or [item.attribution.source for item in self.items]
        written = list(dict.fromkeys(source.text for source in sources if source))
        return " / ".join(written) if self.speaker in written else f"{' / '.join(written)} ({self.speaker})"

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
    """Attributions grouped by article and by speaker as the article names them (pronouns resolved); one
    without a speaker ("reportedly", an unresolved "it") is no row: it says nothing about who said what."""
    groups: dict[tuple[str, str], list[StoredAttribution]] = {}
    for item in stored:
        speaker = item.attribution.speaker
        if speaker is not None:
            groups.setdefault((item.article_id, speaker.text), []).append(item)
    return [SpeakerRow(article_id, name, items) for (article_id, name), items in groups.items()]
