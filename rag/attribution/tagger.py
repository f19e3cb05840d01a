"""A trained span tagger for attribution roles: BIO tags over word pieces, decoded into source / cue / content.

The model is all-MiniLM-L6-v2's encoder fine-tuned for token classification on PolNeAR's train split
(`train/attribution_tagger.py`); its weights ship in `rag/models/attribution_tagger/`, stored as float16 and
run in float32 with ONNX Runtime (exported once into the model cache). Texts longer than one window
are read in overlapping windows; each piece takes the prediction of the window where it sits furthest
from an edge. Decoding is Viterbi over the tag probabilities with the BIO constraint (an I- tag only
continues its own role), so every span is whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from rag.config import MODEL_CACHE, go_offline
from rag.imports import not_hidden
from rag.models.onnx import TOKEN_AXES, exported, session

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "attribution_tagger"
ROLES = ("Source", "Cue", "Content")
LABELS = ("O", *(f"{prefix}-{role}" for role in ROLES for prefix in ("B", "I")))
WINDOW = 256  # word pieces per window, special tokens included
STRIDE = 192  # windows start this many pieces apart: a quarter of each window is context shared with the next
BATCH = 16
INPUTS = ("input_ids", "attention_mask")  # of the exported model
Logits = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (piece ids, attention mask) batch -> tag logits


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

    def __init__(self, tokenizer: Tokenizer, logits: Logits) -> None:
        self.tokenizer, self.logits = tokenizer, logits

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> SpanTagger:
        """The shipped model run with ONNX Runtime, from an export cached under the weights' digest."""
        go_offline()
        if not (folder / "config.json").exists():
            raise FileNotFoundError(f"no attribution model in {folder}; train one with train/attribution_tagger.py")
        digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()[:16]
        onnx_file = MODEL_CACHE / f"attribution_tagger-{digest}.onnx"
        exported(onnx_file, lambda: logits_module(folder), INPUTS, "logits", TOKEN_AXES)
        return cls(word_pieces(folder), onnx_logits(onnx_file))

    def log_probs(self, ids: list[int]) -> np.ndarray:
        """Per-piece tag log-probabilities, each piece read in the window where it is most central."""
        spans = windows(len(ids))
        best = np.full((len(ids), len(LABELS)), 0.0)
        margin = np.full(len(ids), -1)
        for first in range(0, len(spans), BATCH):
            batch = spans[first : first + BATCH]
            logits = self.logits(*padded(self.tokenizer, [ids[start:end] for start, end in batch]))
            shifted = logits - logits.max(axis=-1, keepdims=True)
            scores = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
            for row, (start, end) in enumerate(batch):
                positions = np.arange(start, end)
                edge = np.minimum(positions - start, end - 1 - positions)
                better = edge > margin[start:end]
                best[start:end][better] = scores[row, 1 : end - start + 1][better]
                margin[start:end] = np.maximum(margin[start:end], edge)
        return best

    def tag(self, text: str) -> list[RoleSpan]:
        ids, offsets = pieces(self.tokenizer, text)
        if not ids:
            return []
        return decode(viterbi(self.log_probs(ids)), offsets)


def onnx_logits(onnx_file: Path) -> Logits:
    """Tag logits from an exported model, run with ONNX Runtime."""
    model = session(onnx_file)
    return lambda ids, mask: model.run(None, dict(zip(INPUTS, (ids, mask), strict=True)))[0]


def word_pieces(folder: Path) -> Tokenizer:
    """The model's WordPiece tokenizer, untruncated and unpadded: windows are cut and padded here."""
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def pieces(tokenizer: Tokenizer, text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Word-piece ids of `text` and the character span of each."""
    encoded = tokenizer.encode(text, add_special_tokens=False)
    return encoded.ids, encoded.offsets


def padded(tokenizer: Tokenizer, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of piece ids as one batch: each framed by [CLS] and [SEP], padded, with its attention mask."""
    first, last, pad = (tokenizer.token_to_id(token) for token in ("[CLS]", "[SEP]", "[PAD]"))
    width = max(len(row) for row in rows) + 2
    input_ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        input_ids[i, : len(row) + 2] = [first, *row, last]
        mask[i, : len(row) + 2] = 1
    return input_ids, mask


def logits_module(folder: Path) -> Any:
    """The token classifier in `folder` (float16 weights run in float32) as a torch module returning logits."""
    with not_hidden():
        import torch
        from transformers import AutoModelForTokenClassification

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = AutoModelForTokenClassification.from_pretrained(
                folder, dtype=torch.float32, local_files_only=True
            )

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).logits

    return Logits()


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
