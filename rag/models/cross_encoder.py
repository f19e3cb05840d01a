"""Cross-encoders trained here: a pair of texts in, the probability of one relation out (this sentence answers
this question).

Each is all-MiniLM-L6-v2's encoder with a one-logit head, fine-tuned in `train/`, reading
`[CLS] first [SEP] second [SEP] context [SEP]` (the context, optional, is the sentence before the second).
Weights ship as float16 safetensors with a model card, are exported once in float32 to ONNX (cached under
the weights' digest) and run with ONNX Runtime.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from rag.config import MODEL_CACHE, go_offline
from rag.imports import not_hidden
from rag.models.onnx import exported, session

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Word pieces kept of each part: questions and context are cut first, the sentence last.
QUESTION_PIECES = 48
SENTENCE_PIECES = 112
CONTEXT_PIECES = 64
# Passages are sorted by length and run eight at a time, so few pieces are padding: 20 news passages took
# 349 ms in batches of 32, 262 ms in batches of 8 and 266 ms in batches of 4 (2 cores).
BATCH = 8

Logits = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def word_pieces(folder: Path) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def pair_pieces(tokenizer: Tokenizer, question: str, sentence: str, context: str = "") -> tuple[list[int], list[int]]:
    """Piece ids and segment ids of one input: the question, then the sentence and its context (segment 1)."""
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    asked = tokenizer.encode(question, add_special_tokens=False).ids[:QUESTION_PIECES]
    said = tokenizer.encode(sentence, add_special_tokens=False).ids[:SENTENCE_PIECES]
    ids = [cls, *asked, sep, *said, sep]
    if context:
        ids += [*tokenizer.encode(context, add_special_tokens=False).ids[-CONTEXT_PIECES:], sep]
    return ids, [0] * (len(asked) + 2) + [1] * (len(ids) - len(asked) - 2)


def batch_arrays(tokenizer: Tokenizer, rows: list[tuple[list[int], list[int]]]) -> tuple[np.ndarray, ...]:
    """Rows of (piece ids, segment ids) padded into input ids, attention mask and segment ids."""
    pad = tokenizer.token_to_id("[PAD]")
    width = max(len(ids) for ids, _ in rows)
    input_ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    segments = np.zeros((len(rows), width), dtype=np.int64)
    for i, (ids, types) in enumerate(rows):
        input_ids[i, : len(ids)] = ids
        mask[i, : len(ids)] = 1
        segments[i, : len(ids)] = types
    return input_ids, mask, segments


class CrossEncoder:
    def __init__(self, tokenizer: Tokenizer, logits: Logits) -> None:
        self.tokenizer, self.logits = tokenizer, logits

    @classmethod
    def load(cls, folder: Path) -> CrossEncoder:
        """The shipped model run with ONNX Runtime, from an export cached under the weights' digest."""
        go_offline()
        if not (folder / "config.json").exists():
            raise FileNotFoundError(f"no model in {folder}; train one with train/{folder.name}.py")
        digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()[:16]
        onnx_file = MODEL_CACHE / f"{folder.name}-{digest}.onnx"
        exported(onnx_file, lambda: logits_module(folder), INPUTS, "logits", {0: "batch"})
        return cls(word_pieces(folder), onnx_logits(onnx_file))

    def scores(self, question: str, passages: Sequence[tuple[str, str]]) -> np.ndarray:
        """The probability that each (sentence, context) answers the question."""
        return self.pair_scores([(question, sentence, context) for sentence, context in passages])

    def pair_scores(self, pairs: Sequence[tuple[str, str, str]]) -> np.ndarray:
        """The probability of the relation for each (first, second, context); inputs of similar length are
        batched together, so padding stays short."""
        rows = [pair_pieces(self.tokenizer, *pair) for pair in pairs]
        order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
        found = np.zeros(len(rows), dtype=np.float32)
        for first in range(0, len(order), BATCH):
            chosen = order[first : first + BATCH]
            logits = self.logits(*batch_arrays(self.tokenizer, [rows[i] for i in chosen]))
            found[chosen] = 1 / (1 + np.exp(-logits.reshape(-1)))
        return found


def onnx_logits(onnx_file: Path) -> Logits:
    """Logits from an exported model, run with ONNX Runtime."""
    model = session(onnx_file)
    return lambda *arrays: model.run(None, dict(zip(INPUTS, arrays, strict=True)))[0]


def logits_module(folder: Path) -> Any:
    """The sequence classifier in `folder` (float16 weights run in float32) as a torch module returning logits."""
    with not_hidden():
        import torch
        from transformers import AutoModelForSequenceClassification

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = AutoModelForSequenceClassification.from_pretrained(
                folder, dtype=torch.float32, local_files_only=True
            )

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    return Logits()
