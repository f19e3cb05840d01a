"""What each stage of answering adds, by kind of question, story by story: the plain baseline, then dense
retrieval, BM25 fusion, the word reranker, the relevance model, the answer ranker, the answerability decision,
and the full product (its components and answer phrase).

    .venv/bin/python -m bench.ablation [STORY ...] [--out FILE]

A story is a folder with `articles/` (or the articles themselves) and `qa.jsonl`, or ARTICLES_DIR:QA_FILE; by
default every story of `../shared/realnews/` and the seed article with `eval/qa-seed.jsonl`. Each is ingested
into a fresh home. Every stage but the baseline retrieves for the plan's question within the outlets it names
and shows the best `MAX_CITED` passages as the product shows them (each under its outlet, with its speakers);
until the decision is added, nothing abstains. Rows are judged as `rag eval` judges them (every `must` string,
no `must_not` string, abstained exactly when the row says so). Writes a markdown table and the per-story
figures to `bench/results/ablation.{md,json}` (or `--out`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rag import settings
from rag.config import PROJECT_ROOT, Config
from rag.engine import Engine
from rag.evaluation.baseline import BaselinePipeline
from rag.evaluation.qa import judge, load_qa, story_folder
from rag.question.answer import Answer, abstention
from rag.question.answerable import unanswered_reason
from rag.question.compose import cite_passages
from rag.question.plan import understand

REALNEWS = PROJECT_ROOT.parent / "shared" / "realnews"
RESULTS = PROJECT_ROOT / "bench" / "results" / "ablation.json"
KINDS = ("fact", "attribution", "outlets", "unanswerable")
# (name, dense, BM25, rerank, decided): each stage adds one step to the one before it.
STAGES = (
    ("dense", True, False, "none", False),
    ("+ BM25 fusion", True, True, "none", False),
    ("+ word reranker", True, True, "lexical", False),
    ("+ relevance model", True, True, "relevance", False),
    ("+ answer ranker", True, True, "answers", False),
    ("+ answerability decision", True, True, "answers", True),
)
BASELINE = f"baseline (dense top-{settings.BASELINE_TOP_K}, no abstention)"
FULL = "+ components and answer phrase (the product)"


def stories(args: list[str]) -> list[tuple[str, Path, Path]]:
    """(name, articles, QA file) of each story asked for, or of the default ones."""
    if not args:
        args = [str(p) for p in sorted(REALNEWS.iterdir()) if (p / "qa.jsonl").is_file()]
        args.append(f"{PROJECT_ROOT / 'corpus'}:{PROJECT_ROOT / 'eval' / 'qa-seed.jsonl'}")
    found = []
    for arg in args:
        if ":" in arg:
            articles, qa = (Path(part) for part in arg.split(":", 1))
            found.append((qa.stem, articles, qa))
        else:
            found.append((Path(arg).name, *story_folder(Path(arg))))
    return found


def stage_answerer(engine: Engine, dense: bool, lexical: bool, rerank: str, decided: bool) -> Callable[[str], Answer]:
    """Answers of one stage: the plan's retrieval with these parts, the best passages cited, and (when
    `decided`) an abstention where the decision says the passages do not answer."""
    library = engine.library

    def ask(question: str) -> Answer:
        plan = understand(question, library.actors.names(), settings.DEFAULT_TOP_K, None, library.outlets())
        retrieval = library.retrieval
        pipeline = retrieval.pipeline(plan.top_k, plan.scope, dense=dense, lexical=lexical, rerank=rerank)
        hits = pipeline.retrieve(retrieval.query(plan.searched)) if pipeline else []
        reason = unanswered_reason(plan, hits, library) if decided else None
        if reason or not hits:
            return abstention(question, reason or "No passage found.")
        return cite_passages(replace(plan, expects=None), hits[: settings.MAX_CITED], library)

    return ask


def score_story(name: str, articles: Path, qa: Path) -> dict[str, dict[str, float]]:
    """Per stage: the share of rows judged right, by kind and over all rows."""
    rows = load_qa(qa)
    scores = {}
    with tempfile.TemporaryDirectory() as home:
        engine = Engine(Config(home=Path(home), corpus_dir=articles))
        engine.ingest([articles], progress=False)
        answerers = {BASELINE: BaselinePipeline(engine).ask}
        answerers.update({stage[0]: stage_answerer(engine, *stage[1:]) for stage in STAGES})
        answerers[FULL] = engine.ask
        for stage, ask in answerers.items():
            right, total = Counter(), Counter()
            for row in rows:
                kind = row["kind"] if row["kind"] in KINDS else "other"
                total[kind] += 1
                right[kind] += judge(row, ask(row["question"]), 0.0).correct
            scores[stage] = {"all": sum(right.values()) / sum(total.values())}
            scores[stage].update({kind: right[kind] / total[kind] for kind in total})
    return scores


def table(per_story: dict[str, dict[str, dict[str, float]]]) -> str:
    """Markdown: one row per stage, the mean over stories per kind, all rows, and the lowest story."""
    stages = list(next(iter(per_story.values())))
    lines = [
        "| stage | " + " | ".join(KINDS) + " | all rows | lowest story |",
        "|---|" + "---|" * (len(KINDS) + 2),
    ]
    for stage in stages:
        cells = []
        for kind in (*KINDS, "all"):
            values = [s[stage][kind] for s in per_story.values() if kind in s[stage]]
            cells.append(f"{statistics.mean(values):.2f}" if values else "–")
        lowest = min(per_story, key=lambda name: per_story[name][stage]["all"])
        cells.append(f"{per_story[lowest][stage]['all']:.2f} ({lowest})")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stories", nargs="*")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    per_story = {}
    started = time.perf_counter()
    for name, articles, qa in stories(args.stories):
        per_story[name] = score_story(name, articles, qa)
        print(f"{name}: {per_story[name][FULL]['all']:.2f}", file=sys.stderr, flush=True)
    text = table(per_story)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"stories": per_story, "seconds": round(time.perf_counter() - started)}, indent=1))
    args.out.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
