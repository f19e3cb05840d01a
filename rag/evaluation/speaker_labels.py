"""The speaker a reader is shown, scored against hand labels (`eval/speakers/labels.jsonl`).

Each label names an attribution by its cue's character offsets in one article of a story folder
(`<kits>/<story>/articles/<article>`), and gives the speaker a reader should see: the offsets of one
mention of who spoke (the source as written, or for "he" / "who" the person it stands for), or none when
the span is no speaker at all (a fragment, a place that did not speak, a cue that reports nothing), with
the speaker's kind. The texts stay where they are; the labels hold offsets only.

A shown speaker is right when it is the labelled mention, or another mention of the same person ending in
the same word as written ("Ruiz" for "Gov. Ana Ruiz", not "Ruiz's" for "Mrs Ruiz").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rag.attribution.extract import extract_attributions
from rag.attribution.spans import Attribution, Span
from rag.ingest.articles import Article, load_article


@dataclass(frozen=True)
class SpeakerLabel:
    story: str
    article: str
    cue: tuple[int, int]
    speaker: tuple[int, int] | None  # None: the labelled source is no speaker
    kind: str | None

    @classmethod
    def from_dict(cls, row: dict) -> SpeakerLabel:
        speaker = row["speaker"]
        return cls(row["story"], row["article"], tuple(row["cue"]), tuple(speaker) if speaker else None, row["kind"])


def read_labels(path: Path) -> list[SpeakerLabel]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [SpeakerLabel.from_dict(json.loads(line)) for line in lines if line.strip()]


@cache
def _extracted(path: Path) -> tuple[Article, tuple[Attribution, ...]]:
    article = load_article(path)
    return article, tuple(extract_attributions(article.text, article.outlet, start=article.body_start))


def _last_word(text: str) -> str:
    words = text.split()
    return words[-1].rstrip(",.;:") if words else ""


def _same_speaker(shown: Span, label: SpeakerLabel, text: str) -> bool:
    if label.speaker is None:
        return False
    start, end = label.speaker
    return (shown.start, shown.end) == (start, end) or _last_word(shown.text) == _last_word(text[start:end])


def score_speaker_labels(labels: list[SpeakerLabel], kits: Path) -> dict[str, float | int]:
    """Precision of the shown speakers, how many labelled speakers are still shown, and kinds right."""
    shown = right = kind_right = 0
    for label in labels:
        article, found = _extracted((kits / label.story / "articles" / label.article).resolve())
        cue = Span(label.cue[0], label.cue[1], "")
        match = next((a for a in found if a.cue.overlaps(cue)), None)
        speaker = match.speaker if match is not None else None
        if speaker is None:
            continue
        shown += 1
        if _same_speaker(speaker, label, article.text):
            right += 1
            kind_right += match.source_kind == label.kind
    speakers = sum(label.speaker is not None for label in labels)
    return {
        "labels": len(labels),
        "labelled_speakers": speakers,
        "shown": shown,
        "right": right,
        "precision": right / shown if shown else 0.0,
        "recall": right / speakers if speakers else 0.0,
        "kinds_right": kind_right / right if right else 0.0,
    }
