"""Where imports are deferred, and why; and importing heavy libraries without packages they would load.

Modules import what they use at the top. Imports inside functions are kept for four reasons only:
- Start-up: `rag.engine` and `rag.cli` are the boundary. They import the heavy parts (llama-index, Chroma,
  spaCy, the models: 3-10 s together) on first use, so `python -m rag articles` starts in ~70 ms and the
  page is up before the models have loaded.
- Export only: torch and transformers are imported to export a model to ONNX the first time its file is
  missing (`rag.models.onnx`, `rag.attribution.tagger`); answering and ingesting never import them.
- Hidden packages: spaCy and NLTK are imported inside `hidden` (below).
- Optional extras: a language-model back end (`rag.question.prose`) is imported only when configured.

spaCy's thinc imports torch when it is installed (3 s and 200 MB of the start-up; the pipeline here has no
torch component), and NLTK imports scikit-learn and SciPy for classifiers and statistics (2.3 s; only its
sentence splitter is used). Hidden while those import, they are imported as usual later by whatever needs
them (torch, to export a model the first time it is used); code that does so imports them inside
`not_hidden`, so it waits while another thread (the page's warm-up beside an upload's ingest) has them hidden.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_hiding = threading.RLock()


@contextmanager
def hidden(*packages: str) -> Iterator[None]:
    """Make `import` of these packages fail inside the block, unless they are imported already."""
    with _hiding:
        blocked = [name for name in packages if name not in sys.modules]
        for name in blocked:
            sys.modules[name] = None  # type: ignore[assignment]  # the import system's "not importable" marker
        try:
            yield
        finally:
            for name in blocked:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]


@contextmanager
def not_hidden() -> Iterator[None]:
    """Import packages `hidden` may hide (torch) here: this waits until no other thread hides them."""
    with _hiding:
        yield
