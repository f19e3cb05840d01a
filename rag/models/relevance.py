"""The relevance model: does this sentence answer this question? A cross-encoder trained here on public
answer-sentence-selection data (`train/relevance_model.py`; model card in `relevance_model/README.md`). The
context given with a sentence is the one before, when the sentence leans on it ("His government would …")."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rag.models.cross_encoder import CrossEncoder

MODEL_DIR = Path(__file__).resolve().parent / "relevance_model"


@cache
def relevance_model() -> CrossEncoder:
    return CrossEncoder.load(MODEL_DIR)
