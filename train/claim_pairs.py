"""Fit the claim-pair model (do two outlets' sentences carry the same claim?): a logistic regression over the
signals of `rag/compare/claim_pairs.py`, on the hand-labelled claim pairs of `eval/outlets/<story>/`, written to
`rag/models/claim_pairs/` with a record of what it was fitted on.

    .venv/bin/python train/claim_pairs.py [--kits ../shared/realnews] [--labels eval/outlets] [--loso]

A labelled story is used when its articles are in the kits folder (`KITS/<story>/articles`). Each story is
ingested into a fresh home, so the embeddings are the ones the product stores; a labelled pair stands for the
two units it overlaps that are most alike. `--loso` also scores the fit leave-one-story-out as the product uses
it: for each story the model is fitted on the others, the story's claims are built with it, and the labelled
pairs are scored by the claims their sentences fall in (`rag eval-outlets`), beside the shipped model's claims.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
from linear_fit import fit, in_use  # train/linear_fit.py, beside this script

from rag.compare.article_pairs import ArticleView
from rag.compare.claim_pairs import Sentence, pair_signals
from rag.compare.story_claims import claims
from rag.config import PROJECT_ROOT, Config
from rag.engine import Engine
from rag.evaluation.outlet_labels import claim_pair_scores, read_jsonl
from rag.models import linear
from rag.models.linear import LinearModel

# Inverse regularisation strength: the default; 212 pairs and three signals need no tuning of it.
C = 1.0


def story_views(articles: Path, home: Path) -> list[ArticleView]:
    engine = Engine(Config(home=home, corpus_dir=articles))
    engine.ingest(progress=False)
    return engine.library.article_views([entry.article.id for entry in engine.articles()])


def labelled_signals(views: list[ArticleView], pairs: list[dict]) -> list[dict[str, float]]:
    """The signals of each labelled pair: of the two units it overlaps that are most alike."""
    by_id = {view.article.id: view for view in views}

    def units(sentence: dict) -> list:
        view = by_id[sentence["article_id"]]
        return [u for u in view.units if u.span.start < sentence["end"] and sentence["start"] < u.span.end]

    rows = []
    for pair in pairs:
        a, b = max(
            ((a, b) for a in units(pair["a"]) for b in units(pair["b"])),
            key=lambda ab: float(np.dot(ab[0].vector, ab[1].vector)),
        )
        rows.append(pair_signals(float(np.dot(a.vector, b.vector)), Sentence.of(a.span.text), Sentence.of(b.span.text)))
    return rows


def model_in_use(model: LinearModel) -> AbstractContextManager[None]:
    """The product builds claims with this model while the block runs."""
    return in_use("CLAIM_PAIRS_DIR", {"pair": model}, linear.claim_pair_model)


def rounded(scores: dict) -> dict:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in scores.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kits", type=Path, default=PROJECT_ROOT.parent / "shared" / "realnews")
    parser.add_argument("--labels", type=Path, default=PROJECT_ROOT / "eval" / "outlets")
    parser.add_argument("--loso", action="store_true", help="also score leave-one-story-out")
    parser.add_argument("--out", type=Path, default=linear.CLAIM_PAIRS_DIR)
    args = parser.parse_args()
    stories = sorted(p.name for p in args.labels.iterdir() if (args.kits / p.name / "articles").is_dir())
    if len(stories) < 2:
        print(f"need two labelled stories with articles under {args.kits}", file=sys.stderr)
        return 1
    views, rows, labels = {}, {}, {}
    with tempfile.TemporaryDirectory() as homes:
        for story in stories:
            views[story] = story_views((args.kits / story / "articles").resolve(), Path(homes) / story)
            pairs = read_jsonl(args.labels / story / "claim-pairs.jsonl")
            rows[story] = labelled_signals(views[story], pairs)
            labels[story] = [bool(p["same_claim"]) for p in pairs]
            print(f"{story}: {len(pairs)} pairs, {sum(labels[story])} same", flush=True)

        def fitted_on(names: list[str]) -> LinearModel:
            return fit([r for s in names for r in rows[s]], [y for s in names for y in labels[s]], C, balanced=True)

        model = fitted_on(stories)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "pair.json").write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
        linear.claim_pair_model.cache_clear()
        weights = ", ".join(f"{n} {w:+.2f}" for n, w in zip(model.features, model.weights, strict=True))
        print(f"wrote {args.out / 'pair.json'}: {weights}")
        record: dict = {"stories": {s: {"pairs": len(labels[s]), "same": sum(labels[s])} for s in stories}, "C": C}
        for story in stories if args.loso else []:
            others = [s for s in stories if s != story]
            pairs = read_jsonl(args.labels / story / "claim-pairs.jsonl")
            shipped = claim_pair_scores(claims(views[story]), pairs)
            with model_in_use(fitted_on(others)):
                held = claim_pair_scores(claims(views[story]), pairs)
            record.setdefault("leave_one_story_out", {})[story] = {
                "held_out": rounded(held),
                "shipped": rounded(shipped),
            }
            print(f"{story}: held out {rounded(held)}; shipped model {rounded(shipped)}", flush=True)
    (args.out / "training.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
