"""How long a story's claim matrix takes (`rag story`, the Compare tab) in a running process: the first view of
each story (claims built: every cross-outlet pair scored, then merged, then each claim's differences read) and
the second (cached), with the matrix's size.

    .venv/bin/python -m bench.story_matrix [ARTICLES_DIR ...] [--out FILE]

By default every story of `../shared/realnews/`. Each is ingested into a fresh home in this process first, as a
page that has been running does, so the models and spaCy are loaded before the timing. Writes the figures to
`bench/results/story_matrix.json` (or `--out`).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from rag.config import PROJECT_ROOT, Config
from rag.engine import Engine

REALNEWS = PROJECT_ROOT.parent / "shared" / "realnews"
RESULTS = PROJECT_ROOT / "bench" / "results" / "story_matrix.json"


def measure(articles: Path) -> dict:
    with tempfile.TemporaryDirectory() as home:
        engine = Engine(Config(home=Path(home), corpus_dir=articles))
        engine.ingest(progress=False)
        engine.warm_up()
        ids = [entry.article.id for entry in engine.articles()]
        started = time.perf_counter()
        engine.story_matrix(ids)
        first = time.perf_counter() - started
        started = time.perf_counter()
        matrix = engine.story_matrix(ids)
        second = time.perf_counter() - started
    claims = matrix["claims"]
    return {
        "outlets": len(matrix["articles"]),
        "claims": len(claims),
        "claims_of_two_or_more_outlets": sum(len(c["outlets"]) > 1 for c in claims),
        "first_view_s": round(first, 3),
        "second_view_s": round(second, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    folders = args.articles or [p / "articles" for p in sorted(REALNEWS.iterdir()) if (p / "articles").is_dir()]
    if not folders:
        print(f"no stories under {REALNEWS}", file=sys.stderr)
        return 1
    results = {}
    for folder in folders:
        name = folder.parent.name if folder.name == "articles" else folder.name
        results[name] = measure(folder.resolve())
        print(name, results[name], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
