"""How cost grows with the corpus: encode limit, ingest throughput and where it goes, query latency by size.

    .venv/bin/python bench/scale.py [--sizes 100 1000 10000 100000] [--server-sizes 1000 10000] [--json]

Articles are synthetic: paragraphs drawn from a pool of real sentences (the corpus and the fixtures) and
of generated reporting sentences with speakers, cues and quotes, so chunking and attribution do real work.
Ingest is measured for real on `--ingest-articles` articles. Then one index grows through the sizes: every
pool sentence is embedded and attributed once and reused through the ingest seams, so vectors stay real
while the index grows. At each size a fresh process measures start-up to first answer, answer latency
(ours and a plain dense pipeline) and its peak memory, against embedded Chroma and, for the server sizes,
against a Chroma server on localhost serving the same files; the start-up (from process start, imports
included) is measured cold (BM25 built from the store and saved) and as a restart (the saved BM25 loaded).
Writes bench/results/scale.json, scale.md and scale.svg.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from rag.actors.mentions import article_names
from rag.actors.names import Name
from rag.attribution.extract import extract_attributions, parse
from rag.attribution.spans import Attribution, ChainLink, Span
from rag.charts import Bar, bar_chart
from rag.config import DEFAULT_CORPUS, PROJECT_ROOT, Config
from rag.engine import Engine
from rag.evaluation.baseline import BaselinePipeline
from rag.ingest.articles import Article, article_files, load_article, render_article_file, write_article_file
from rag.ingest.pipeline import Analysis, IngestReport, embed_texts, ingest_articles
from rag.ingest.units import Chunk, sentence_spans
from rag.models.encoder import embed_model
from rag.models.relevance import relevance_model

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
        self.analyses = {s: self._analysed(s) for s in pool}

    @staticmethod
    def _analysed(sentence: str) -> tuple[list[Attribution], list[Name]]:
        doc = parse(sentence)
        return extract_attributions(sentence, doc=doc), article_names(doc)

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Cached vectors; a unit the chunker trimmed or merged differently is embedded (and cached) once."""
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, embed_model().get_text_embedding_batch(missing), strict=True))
        return [self.vectors[t] for t in texts]

    def analyse(self, article: Article, chunks: list[Chunk]) -> Analysis:
        for chunk in chunks:
            if chunk.text not in self.analyses:
                self.analyses[chunk.text] = self._analysed(chunk.text)
        attributions = [(c.index, _shifted(a, c.start, article)) for c in chunks for a in self.analyses[c.text][0]]
        names = {n.name: n for c in chunks for n in self.analyses[c.text][1]}
        return Analysis(attributions, list(names.values()))


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


def peak_rss_mb() -> int:
    """This process's peak resident memory. Not `getrusage`: its maximum survives fork and exec, so a probe
    would report the bench process's own peak whenever that is higher."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    raise RuntimeError("no VmHWM in /proc/self/status")


def latency(ask: Callable[[str], object], questions: list[str], repeats: int = 3) -> dict[str, float]:
    times = []
    for _ in range(repeats):
        for question in questions:
            started = time.perf_counter()
            ask(question)
            times.append(1000 * (time.perf_counter() - started))
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 0.95), 1)}


def relevance_model_share(engine: Engine, questions: list[str]) -> dict[str, float]:
    """How much of an answer the relevance model takes: its time per question (median) and its share of all
    answer time, with the model's `scores` timed in place."""
    model = relevance_model()
    scores = model.scores
    spent = [0.0]

    def timed_scores(question: str, passages: Sequence[tuple[str, str]]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return scores(question, passages)
        finally:
            spent[0] += time.perf_counter() - started

    model.scores = timed_scores  # type: ignore[method-assign]
    try:
        model_ms, total_ms = [], []
        for question in questions:
            before, started = spent[0], time.perf_counter()
            engine.ask(question)
            total_ms.append(1000 * (time.perf_counter() - started))
            model_ms.append(1000 * (spent[0] - before))
    finally:
        model.scores = scores  # type: ignore[method-assign]
    return {"median_ms": round(statistics.median(model_ms), 1), "share": round(sum(model_ms) / sum(total_ms), 2)}


def seconds_since_process_start() -> float:
    """Wall time since this process started (interpreter start-up and imports included), to 10 ms."""
    started_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started_ticks / os.sysconf("SC_CLK_TCK")


def probe(home: Path, chroma_url: str | None) -> dict:
    """Run in a fresh process: start-up to first answer from process start, in phases, then latency of ours
    and of the plain pipeline."""
    engine = Engine(Config(home=home, corpus_dir=DEFAULT_CORPUS, chroma_url=chroma_url))
    imported = seconds_since_process_start()
    engine.warm_up()
    warm = seconds_since_process_start()
    engine.ask(QUESTIONS[0])
    first = seconds_since_process_start()
    return {
        "start_to_first_answer_s": round(first, 2),
        "start_phases_s": {
            "interpreter_and_imports": round(imported, 2),
            "warm_up": round(warm - imported, 2),
            "first_answer": round(first - warm, 2),
        },
        "ours": latency(engine.ask, QUESTIONS),
        "relevance_model": relevance_model_share(engine, QUESTIONS),
        "baseline_dense": latency(BaselinePipeline(engine).ask, QUESTIONS),
        "peak_rss_mb": peak_rss_mb(),
    }


def probe_in_fresh_process(home: Path, chroma_url: str | None = None) -> dict:
    command = [sys.executable, __file__, "--probe", str(home), *(["--chroma-url", chroma_url] if chroma_url else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """`chroma run` on a free localhost port over the given persisted Chroma folder."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    server = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)


def add_one(engine: Engine, pool: list[str], seed: int) -> tuple[float, float]:
    """Seconds to add one article file and answer the next question; ms to re-ingest it unchanged."""
    engine.ask(QUESTIONS[0])  # this process's lexical index exists before the article arrives
    new = synthetic_articles(pool, 1, random.Random(seed), f"added-{seed}")[0]
    path = Path(tempfile.mkdtemp(prefix="rag-bench-new-")) / f"{new.id}.md"
    path.write_text(render_article_file(new), encoding="utf-8")
    started = time.perf_counter()
    engine.ingest([path], progress=False)
    engine.ask(QUESTIONS[0])
    added = time.perf_counter() - started
    started = time.perf_counter()
    unchanged = engine.ingest([path], progress=False)
    assert unchanged.units == 0, "an unchanged article was embedded again"
    return added, 1000 * (time.perf_counter() - started)


def grow_and_measure(sizes: list[int], server_sizes: set[int], pool: list[str], cache: PoolCache) -> list[dict]:
    """One index grown through the sizes; measured at each."""
    rng = random.Random(11)
    home = Path(tempfile.mkdtemp(prefix="rag-bench-scale-"))
    print(f"index folder (kept for --probe): {home}", file=sys.stderr)
    engine = Engine(Config(home=home, corpus_dir=DEFAULT_CORPUS))
    engine.ingest(progress=False)
    rows, built, build_s = [], 0, 0.0
    for size in sorted(sizes):
        started = time.perf_counter()
        articles = synthetic_articles(pool, size - built, rng, f"bench{size}")
        report = IngestReport()
        ingest_articles(articles, engine.catalog, engine.collection, report, False, cache.embed, cache.analyse)
        build_s += time.perf_counter() - started
        built = size
        added_s, unchanged_ms = add_one(engine, pool, size)
        row = {
            "articles": len(engine.articles()),
            "units": engine.collection.count(),
            "pooled_build_s": round(build_s, 1),
            "add_one_article_and_answer_s": round(added_s, 2),
            "reingest_unchanged_ms": round(unchanged_ms, 1),
        }
        shutil.rmtree(home / "bm25", ignore_errors=True)  # a cold start builds BM25 from the store, and saves it
        row["embedded"] = probe_in_fresh_process(home)
        row["restart"] = probe_in_fresh_process(home)  # a restart loads the saved BM25

        if size in server_sizes:
            with chroma_server(engine.config.chroma_dir) as url:
                row["server"] = probe_in_fresh_process(home, url)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return rows


def measure_ingest(pool: list[str], rng: random.Random, count: int) -> dict:
    """Real ingest of `count` synthetic article files against the encoder's own throughput on the same
    sentences (batched as ingest batches them)."""
    sample = pool[:1000]
    embed_texts(sample[:64])
    started = time.perf_counter()
    embed_texts(sample)
    raw = len(sample) / (time.perf_counter() - started)
    folder = Path(tempfile.mkdtemp(prefix="rag-bench-corpus-"))
    for article in synthetic_articles(pool, count, rng, "ingest"):
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


LATENCY_SERIES = {  # (pipeline, figure) -> colour
    ("ours", "p95_ms"): "#b03a2e",
    ("ours", "median_ms"): "#e07b39",
    ("baseline_dense", "median_ms"): "#2e86c1",
}
SERIES_NAMES = {"ours": "ours", "baseline_dense": "plain dense", "p95_ms": "p95", "median_ms": "median"}


def latency_plot(rows: list[dict]) -> str:
    """Answer latency by corpus size: ours (p95, median) and a plain dense pipeline (median), in ms."""
    bars = [
        (
            f"{r['articles']:,} articles",
            [
                Bar(r["embedded"][p][f], colour, f"{r['embedded'][p][f]:.0f} ms")
                for (p, f), colour in LATENCY_SERIES.items()
            ],
        )
        for r in rows
    ]
    legend = {f"{SERIES_NAMES[p]} {SERIES_NAMES[f]}": colour for (p, f), colour in LATENCY_SERIES.items()}
    return bar_chart(bars, legend)


def markdown(figures: dict) -> str:
    def pair(figure: dict) -> str:
        return f"{figure['median_ms']} / {figure['p95_ms']}"

    def model_share(probed: dict) -> str:
        model = probed.get("relevance_model")
        return f"{model['median_ms']} ({model['share']:.0%})" if model else "–"

    lines = [
        f"raw encode {figures['raw_encode_sentences_per_s']} sentences/s; "
        f"ingest {figures['ingest_units_per_s']} units/s "
        f"({figures['ingest_share_of_raw_encode']:.0%} of raw), {figures['ingest_articles_per_s']} articles/s; "
        f"stage seconds {figures['ingest_stage_seconds']}",
        "",
        "| articles | units | ours median / p95 ms | relevance model ms (share) "
        "| plain dense median / p95 ms | ours via Chroma server ms "
        "| add one article + answer s | re-ingest unchanged ms | start-up to first answer s (cold / restart) "
        "| restart phases s (imports / warm-up / first answer) | peak RSS MB (cold / restart) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in figures["sizes"]:
        e = s["embedded"]
        server = pair(s["server"]["ours"]) if "server" in s else "–"
        lines.append(
            f"| {s['articles']} | {s['units']} | {pair(e['ours'])} | {model_share(e)} | {pair(e['baseline_dense'])} | "
            f"{server} | "
            f"{s['add_one_article_and_answer_s']} | {s['reingest_unchanged_ms']} | "
            f"{e['start_to_first_answer_s']} / {s['restart']['start_to_first_answer_s']} | "
            f"{' / '.join(str(v) for v in s['restart'].get('start_phases_s', {}).values()) or '–'} | "
            f"{e['peak_rss_mb']} / {s['restart']['peak_rss_mb']} |"
        )
    return "\n".join(lines) + "\n\n![answer latency against corpus size](scale.svg)\n"


def render(figures: dict) -> str:
    """Write the table and the plot of a run's figures; returns the table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(figures, indent=2))
    (RESULTS / "scale.svg").write_text(latency_plot(figures["sizes"]))
    table = markdown(figures)
    (RESULTS / "scale.md").write_text(table)
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000, 100000])
    parser.add_argument("--server-sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--ingest-articles", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--ingest-only", action="store_true", help="only the ingest figures (bench/results/ingest.json)"
    )
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--chroma-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(probe(args.probe, args.chroma_url)))
        return
    started = time.perf_counter()
    rng = random.Random(7)
    pool = sentence_pool(rng, 1500)
    figures = {"pool_sentences": len(pool), **measure_ingest(pool, rng, args.ingest_articles)}
    if args.ingest_only:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "ingest.json").write_text(json.dumps(figures, indent=2))
        print(json.dumps(figures, indent=2))
        return
    figures["sizes"] = grow_and_measure(args.sizes, set(args.server_sizes), pool, PoolCache(pool))
    figures["bench_minutes"] = round((time.perf_counter() - started) / 60, 1)
    table = render(figures)
    print(json.dumps(figures, indent=2) if args.json else table)


if __name__ == "__main__":
    main()
