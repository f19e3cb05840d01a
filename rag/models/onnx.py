"""PyTorch models exported once to ONNX files in the model cache and run with ONNX Runtime.

Answering and ingesting then import neither torch nor transformers (8–10 s and ~450 MB of a start-up);
torch is imported only to export a model the first time its file is missing.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import onnxruntime

from rag.imports import not_hidden

if TYPE_CHECKING:
    import onnxruntime

TOKEN_AXES = {0: "batch", 1: "tokens"}


def exported(
    onnx_file: Path, module: Callable[[], Any], inputs: tuple[str, ...], output: str, output_axes: dict[int, str]
) -> Path:
    """`onnx_file`, exported from the torch module `module()` builds (taking `inputs`, each a batch of
    token ids or flags) if the file is not there yet. Written under a temporary name and renamed, so a
    crash or a concurrent export never leaves half a file."""
    if onnx_file.is_file():
        return onnx_file
    with not_hidden():
        import torch

    onnx_file.parent.mkdir(parents=True, exist_ok=True)
    partial = onnx_file.with_name(f"{onnx_file.name}.{os.getpid()}.partial")
    example = torch.ones((2, 8), dtype=torch.long)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on operators; the outputs are checked by tests
            torch.onnx.export(
                module().eval(),
                tuple(example for _ in inputs),
                str(partial),
                input_names=list(inputs),
                output_names=[output],
                dynamic_axes={**dict.fromkeys(inputs, TOKEN_AXES), output: output_axes},
                opset_version=17,
                dynamo=False,
            )
        os.replace(partial, onnx_file)
    finally:
        partial.unlink(missing_ok=True)
    return onnx_file


def session(onnx_file: Path) -> onnxruntime.InferenceSession:

    options = onnxruntime.SessionOptions()
    # Idle worker threads otherwise spin for a while after each run, taking a core from the rest of the work.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
