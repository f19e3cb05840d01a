"""A trained span tagger for attribution roles: BIO tags over word pieces, decoded into source / cue / content.

The model is all-MiniLM-L6-v2's encoder fine-tuned for token classification on PolNeAR's train split
(`train/attribution_tagger.py`); its weights ship in `rag/attribution/model/`, stored as float16 and
run in float32. Texts longer than one window are read in overlapping windows; each piece takes the
prediction of the window where it sits furthest from an edge. Decoding is Viterbi over the tag
probabilities with the BIO constraint (an I- tag only continues its own role), so every span is whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.config import go_offline
from rag.imports import not_hidden

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

MODEL_DIR = Path(__file__).resolve().parent / "model"
ROLES = ("Source", "Cue", "Content")
LABELS = ("O", *(f"{prefix}-{role}" for role in ROLES for prefix in ("B", "I")))
WINDOW = 256  # word pieces per window, special tokens included
STRIDE = 192  # windows start this many pieces apart: a quarter of each window is context shared with the next
BATCH = 16


@dataclass(frozen=True)
class RoleSpan:
    role: str
    start: int
    end: int


def windows(length: int, window: int = WINDOW, stride: int = STRIDE) -> list[tuple[int, int]]:
    """[start, end) piece ranges covering `length` pieces; the last window ends at the text's end."""
    size = window - 2
    if length <= size:
        return [(0, length)]
    starts = [*range(0, length - size, stride), length - size]
    return [(s, s + size) for s in sorted(set(starts))]


def piece_labels(offsets: list[tuple[int, int]], fragments: list[tuple[str, int, int]]) -> list[int]:
    """Gold tag index of each word piece: the role fragment holding its first character, B- on a fragment's first."""
    labels = [0] * len(offsets)
    for role, start, end in sorted(fragments, key=lambda f: f[1]):
        first = True
        for i, (piece_start, piece_end) in enumerate(offsets):
            if piece_end <= start or piece_start >= end or piece_start < start:
                continue
            labels[i] = LABELS.index(f"{'B' if first else 'I'}-{role}")
            first = False
    return labels


def _transitions() -> np.ndarray:
    allowed = np.zeros((len(LABELS), len(LABELS)))
    for j, label in enumerate(LABELS):
        if label.startswith("I-"):
            role = label[2:]
            for i, previous in enumerate(LABELS):
                if previous[2:] != role:
                    allowed[i, j] = -np.inf
    return allowed


TRANSITIONS = _transitions()
START_ALLOWED = np.array([0.0 if not label.startswith("I-") else -np.inf for label in LABELS])


def viterbi(log_probs: np.ndarray) -> list[int]:
    """The most probable tag sequence in which no I- tag follows a different role."""
    n = len(log_probs)
    if n == 0:
        return []
    score = log_probs[0] + START_ALLOWED
    back = np.zeros((n, len(LABELS)), dtype=np.int64)
    for t in range(1, n):
        candidates = score[:, None] + TRANSITIONS
        back[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + log_probs[t]
    path = [int(score.argmax())]
    for t in range(n - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def decode(tags: list[int], offsets: list[tuple[int, int]]) -> list[RoleSpan]:
    """Character spans of each B-/I- run."""
    spans: list[RoleSpan] = []
    for tag, (start, end) in zip(tags, offsets, strict=True):
        label = LABELS[tag]
        if label == "O":
            continue
        role = label[2:]
        if label.startswith("I-") and spans and spans[-1].role == role:
            spans[-1] = RoleSpan(role, spans[-1].start, end)
        else:
            spans.append(RoleSpan(role, start, end))
    return spans


class SpanTagger:
    """Tags a whole article in overlapping windows and returns its role spans."""

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast) -> None:
        self.model, self.tokenizer = model, tokenizer

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> SpanTagger:
        go_offline()
        with not_hidden():
            import torch
            from transformers import AutoModelForTokenClassification, AutoTokenizer

        if not (folder / "config.json").exists():
            raise FileNotFoundError(f"no attribution model in {folder}; train one with train/attribution_tagger.py")
        model = AutoModelForTokenClassification.from_pretrained(folder, dtype=torch.float32, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        return cls(model.eval(), tokenizer)

    def pieces(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return encoded["input_ids"], [tuple(o) for o in encoded["offset_mapping"]]

    def padded(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows of piece ids as one batch: each framed by [CLS] and [SEP], padded, with its attention mask."""
        import torch

        tokenizer = self.tokenizer
        width = max(len(row) for row in rows) + 2
        input_ids = torch.full((len(rows), width), tokenizer.pad_token_id)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, : len(row) + 2] = torch.tensor([tokenizer.cls_token_id, *row, tokenizer.sep_token_id])
            mask[i, : len(row) + 2] = 1
        return input_ids, mask

    def log_probs(self, ids: list[int]) -> np.ndarray:
        """Per-piece tag log-probabilities, each piece read in the window where it is most central."""
        import torch

        spans = windows(len(ids))
        best = np.full((len(ids), len(LABELS)), 0.0)
        margin = np.full(len(ids), -1)
        for first in range(0, len(spans), BATCH):
            batch = spans[first : first + BATCH]
            input_ids, mask = self.padded([ids[start:end] for start, end in batch])
            with torch.inference_mode():
                logits = self.model(input_ids=input_ids, attention_mask=mask).logits
            scores = torch.log_softmax(logits, dim=-1).numpy()
            for row, (start, end) in enumerate(batch):
                positions = np.arange(start, end)
                edge = np.minimum(positions - start, end - 1 - positions)
                better = edge > margin[start:end]
                best[start:end][better] = scores[row, 1 : end - start + 1][better]
                margin[start:end] = np.maximum(margin[start:end], edge)
        return best

    def tag(self, text: str) -> list[RoleSpan]:
        ids, offsets = self.pieces(text)
        if not ids:
            return []
        return decode(viterbi(self.log_probs(ids)), offsets)


@cache
def tagger() -> SpanTagger:
    return SpanTagger.load()


@dataclass(frozen=True)
class TaggedAttribution:
    source: RoleSpan | None
    cue: RoleSpan
    content: RoleSpan


def _gap(a: RoleSpan, b: RoleSpan) -> int:
    return max(a.start - b.end, b.start - a.end, 0)


def _paragraph(text: str, a: RoleSpan, b: RoleSpan) -> bool:
    first, second = sorted((a, b), key=lambda s: s.start)
    return "\n\n" not in text[first.end : second.start]


def _nearest_cue(text: str, span: RoleSpan, cues: list[RoleSpan]) -> RoleSpan | None:
    near = [cue for cue in cues if _paragraph(text, span, cue)]
    return min(near, key=lambda cue: _gap(span, cue)) if near else None


def group(text: str, spans: list[RoleSpan]) -> list[TaggedAttribution]:
    """One attribution per cue that has content: its nearest source, its contents as one covering span.

    Contents go first, each to the closest cue of its paragraph; a content in a paragraph without a cue
    goes to the last cue of the paragraph before when that cue has none ("He said:" and a quoted
    paragraph). Cues left without content are dropped, and only then does each source go to the closest
    remaining cue of its paragraph, so a stray cue word cannot take a speaker from its real cue.
    """
    cues = [s for s in spans if s.role == "Cue"]
    contents: dict[RoleSpan, list[RoleSpan]] = {cue: [] for cue in cues}
    orphans = []
    for span in (s for s in spans if s.role == "Content"):
        cue = _nearest_cue(text, span, cues)
        if cue is not None:
            contents[cue].append(span)
        else:
            orphans.append(span)
    for span in orphans:
        before = [cue for cue in cues if cue.end <= span.start]
        if before and not contents[before[-1]] and text.count("\n\n", before[-1].end, span.start) == 1:
            contents[before[-1]].append(span)
    kept = [cue for cue in cues if contents[cue]]
    sources: dict[RoleSpan, list[RoleSpan]] = {cue: [] for cue in kept}
    for span in (s for s in spans if s.role == "Source"):
        cue = _nearest_cue(text, span, kept)
        if cue is not None:
            sources[cue].append(span)
    found = []
    for cue in kept:
        content = RoleSpan("Content", min(c.start for c in contents[cue]), max(c.end for c in contents[cue]))
        source = min(sources[cue], key=lambda s: _gap(s, cue), default=None)
        found.append(TaggedAttribution(source, cue, content))
    return found
