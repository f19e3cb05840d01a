"""Where data lives and which switches keep the stack offline; read once, imported everywhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = PROJECT_ROOT / ".rag"
DEFAULT_CORPUS = PROJECT_ROOT / "corpus"
# Models derived from shipped weights (ONNX exports of the encoder and the attribution tagger), shared by
# every index home.
MODEL_CACHE = Path(os.environ.get("RAG_MODEL_CACHE") or PROJECT_ROOT / ".models")

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


def go_offline() -> None:
    """Set the switches that stop the model hub, Chroma and Gradio from reaching the network."""
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value


@dataclass(frozen=True)
class Config:
    """Run-time settings; every field can come from the environment so tests can point at a temp dir."""

    home: Path
    corpus_dir: Path
    chroma_url: str | None = None

    @classmethod
    def from_env(cls, home: str | Path | None = None, chroma_url: str | None = None) -> Config:
        return cls(
            home=Path(home or os.environ.get("RAG_HOME") or DEFAULT_HOME).resolve(),
            corpus_dir=Path(os.environ.get("RAG_CORPUS") or DEFAULT_CORPUS).resolve(),
            chroma_url=chroma_url or os.environ.get("RAG_CHROMA_URL") or None,
        )

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite3"

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"
