"""Fit the answer ranker (does this passage hold the answer?) and the answerability decision (does any passage
answer the question?): two logistic regressions over the signals the retrieval pipeline measures, written
to `rag/models/answer_decision/` with a record of what they were fitted on.

    .venv/bin/python train/answer_decision.py [--stories DIR ...] [--squad FILE] [--loso] [--out DIR]

A story is a folder of articles (`articles/`, or the folder itself) with `qa.jsonl` beside it, or a pair
ARTICLES_DIR:QA_FILE. By default: every story of `../shared/realnews/` and the project's own QA sets (the seed
article, Lauca, Dunmere). Each story is ingested into a fresh home and its questions are run through the
product's own pipeline (`rag.question.components.decided_on`): the signals fitted on are the ones the
product computes. A passage answers when it holds a row's `evidence` (or, for rows without evidence, one of
its `must` strings); a question is answerable unless its row says `abstain`, and a question across outlets,
asked of each outlet, is answerable by the outlets whose passages hold the answer. Beside the kits' questions the
decision sees questions no story answers: each story's questions asked of another story, and strings of
random letters. With `--squad`, the articles of a SQuAD 2.0 file (Rajpurkar, Jia & Liang 2018; CC BY-SA 4.0)
are stories too, each paragraph an article, with a sample of their questions: the ranker is fitted on them as
well (leave-one-story-out hit@1 on the news stories 0.62 -> 0.65); the decision is not (fitted on them too,
it abstained on far more answerable news questions: fact rows 0.66 -> 0.49).

`--loso` also scores the fit leave-one-story-out: for each story, both models are fitted on the others, and
the product, answering with those models, is judged on the held-out story (every `must` string in the
answer, no `must_not` string, abstained exactly when the row says so), by kind.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import tempfile
import time
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from linear_fit import fit, in_use  # train/linear_fit.py, beside this script

from rag import settings
from rag.config import PROJECT_ROOT, Config
from rag.engine import Engine
from rag.evaluation.qa import judge, load_qa, story_folder
from rag.index.postprocessors import passage_signals
from rag.ingest.articles import Article, slugify, write_article_file
from rag.ingest.units import sentence_spans
from rag.models import linear
from rag.models.linear import LinearModel
from rag.question.answerable import question_signals
from rag.question.components import decided_on
from rag.question.plan import Plan, understand

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

    from rag.actors.names import ActorNames

REALNEWS = PROJECT_ROOT.parent / "shared" / "realnews"
OWN_SETS = [
    ("corpus", "eval/qa-seed.jsonl"),
    ("eval/fixtures/lauca", "eval/qa-lauca.jsonl"),
    ("eval/fixtures/dunmere", "eval/qa-dunmere.jsonl"),
]
CANDIDATES = settings.RELEVANCE_CANDIDATES
BORROWED_QUESTIONS = 10  # questions of another story asked of each story
RANDOM_QUESTIONS = 3  # strings of random letters asked of each story
SQUAD_QUESTIONS = 120  # questions of each SQuAD article
C = 1.0  # inverse regularisation strength of both regressions; not tuned
UNFITTED = LinearModel((), (), (), (), 0.0)


@dataclass
class Story:
    name: str
    articles: Path
    rows: list[dict]
    scored: bool = True  # scored leave-one-story-out; public data is only fitted on


@dataclass
class Example:
    story: str
    row: dict
    passages: list[tuple[dict[str, float], bool]]  # each candidate's signals, and whether it holds the answer
    decision: list[tuple[dict[str, float], NodeWithScore]]  # (signals, hit) of the passages the decision reads
    plan: Plan
    actors: ActorNames
    unknown: set[str]  # the plan's words no article of the story holds
    answerable: bool


def stories(args: list[str]) -> list[Story]:
    found = []
    if not args:
        args = [str(p) for p in sorted(REALNEWS.iterdir()) if (p / "qa.jsonl").is_file()]
        args += [f"{PROJECT_ROOT / a}:{PROJECT_ROOT / q}" for a, q in OWN_SETS]
    for arg in args:
        if ":" in arg:
            articles, qa = (Path(part) for part in arg.split(":", 1))
            name = qa.stem
        else:
            articles, qa = story_folder(Path(arg))
            name = Path(arg).name
        found.append(Story(name, articles, load_qa(qa)))
    return found


def squad_stories(path: Path, folder: Path, rng: random.Random) -> list[Story]:
    """The articles of a SQuAD 2.0 file as stories in `folder`: each paragraph an article of the outlet
    "Wikipedia", and up to `SQUAD_QUESTIONS` of the article's questions (every unanswerable one first), whose
    evidence is the sentence holding the answer's start."""
    found = []
    for entry in json.loads(path.read_text(encoding="utf-8"))["data"]:
        name = slugify(entry["title"])
        articles = folder / name
        articles.mkdir(parents=True)
        answerable, unanswerable = [], []
        for i, paragraph in enumerate(entry["paragraphs"]):
            text = paragraph["context"]
            title = f"{entry['title']} ({i + 1})".replace("_", " ")
            write_article_file(Article(f"{name}-{i + 1}", title, "Wikipedia", "2016-01-01", text), articles)
            spans = sentence_spans(text)
            for qa in paragraph["qas"]:
                starts = [a["answer_start"] for a in qa.get("answers", [])]
                evidence = sorted({text[a:b] for a, b in spans if any(a <= start < b for start in starts)})
                row = {"id": qa["id"], "kind": "fact", "question": qa["question"], "evidence": evidence}
                row.update(must=[], must_not=[], abstain=not evidence)
                (answerable if evidence else unanswerable).append(row)
        rng.shuffle(answerable)
        rows = (unanswerable + answerable)[:SQUAD_QUESTIONS]
        found.append(Story(name, articles, rows, scored=False))
    return found


def holds_answer(row: dict, text: str, outlet: str) -> bool:
    if row["evidence"]:
        return any(e in text or text in e for e in row["evidence"])
    return any(m.lower() in f"{text} {outlet}".lower() for m in row["must"])


def examples(story: Story, borrowed: list[str], rng: random.Random) -> list[Example]:
    """Every question of the story (and the borrowed and random ones) run through the pipeline: all
    `CANDIDATES` passages with their signals."""
    found = []
    with tempfile.TemporaryDirectory() as home:
        engine = Engine(Config(home=Path(home), corpus_dir=story.articles))
        engine.ingest([story.articles], progress=False)
        engine.warm_up()
        library = engine.library
        outlets = {e.article.id: e.article.outlet for e in engine.articles()}
        asked = [(row, not row["abstain"]) for row in story.rows]
        asked += [({"question": q, "evidence": [], "must": [], "abstain": True}, False) for q in borrowed]
        for _ in range(RANDOM_QUESTIONS):
            words = [
                "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
                for _ in range(rng.randint(1, 5))
            ]
            asked.append(({"question": " ".join(words) + "?", "evidence": [], "must": [], "abstain": True}, False))
        for row, answerable in asked:
            plan = understand(row["question"], library.actors.names(), CANDIDATES, None, library.outlets())
            decided = decided_on(replace(plan, top_k=CANDIDATES), library)
            labelled = []
            for asked_plan, hits in decided:
                if not hits or not asked_plan.words:
                    continue
                labels = [
                    holds_answer(row, hit.node.get_content(), outlets.get(hit.node.metadata["article_id"], ""))
                    for hit in hits
                ]
                labelled.append((asked_plan, hits, labels))
            if len(decided) > 1 and answerable and not any(any(labels) for _, _, labels in labelled):
                continue  # a question across outlets whose answer no outlet's passages show: no label per outlet
            for asked_plan, hits, labels in labelled:
                signals = passage_signals(hits)
                found.append(
                    Example(
                        story.name,
                        row,
                        list(zip(signals, labels, strict=True)),
                        list(zip(signals, hits, strict=True)),
                        asked_plan,
                        library.actors.names(),
                        library.retrieval.unknown_words(asked_plan.words),
                        answerable and (len(decided) == 1 or any(labels)),
                    )
                )
    return found


def fit_passages(chosen: list[Example]) -> LinearModel:
    """The answer ranker, on the candidates of answerable questions whose answer is among them."""
    rows, labels = [], []
    for example in chosen:
        if example.answerable and any(label for _, label in example.passages):
            for signals, label in example.passages:
                rows.append(signals)
                labels.append(label)
    return fit(rows, labels, C, balanced=False)


def ranked(example: Example, ranker: LinearModel) -> list[NodeWithScore]:
    """The decision's passages as the ranker orders them, each carrying its probability."""
    hits = []
    for signals, hit in example.decision:
        hit.node.metadata["answers"] = ranker.probability(signals)
        hits.append(hit)
    return sorted(hits, key=lambda hit: -hit.node.metadata["answers"])


def fit_decision(chosen: list[Example], ranker: LinearModel, public: set[str]) -> LinearModel:
    """The decision, on every question but those of public data, its passages ordered by the given ranker;
    answerable and unanswerable questions weigh alike."""
    chosen = [e for e in chosen if e.story not in public]
    rows = [question_signals(e.plan, ranked(e, ranker), e.actors, e.unknown) for e in chosen]
    return fit(rows, [e.answerable for e in chosen], C, balanced=True)


def models_in_use(ranker: LinearModel, decision: LinearModel) -> AbstractContextManager[None]:
    """The product answers with these models while the block runs (the leave-one-story-out score)."""
    return in_use("DECISION_DIR", {"passage": ranker, "question": decision}, linear.decision_model)


def leave_one_out(all_stories: list[Story], found: list[Example]) -> dict:
    """Per held-out story: both models fitted on the other stories, the product's answers judged by kind."""
    scores = {}
    public = {s.name for s in all_stories if not s.scored}
    for story in (s for s in all_stories if s.scored):
        others = [e for e in found if e.story != story.name]
        ranker = fit_passages(others)
        decision = fit_decision(others, ranker, public)
        right, total = Counter(), Counter()
        with tempfile.TemporaryDirectory() as home, models_in_use(ranker, decision):
            engine = Engine(Config(home=Path(home), corpus_dir=story.articles))
            engine.ingest([story.articles], progress=False)
            for row in story.rows:
                total[row["kind"]] += 1
                right[row["kind"]] += judge(row, engine.ask(row["question"]), 0.0).correct
        scores[story.name] = {
            "correct": sum(right.values()) / sum(total.values()),
            "by_kind": {kind: right[kind] / total[kind] for kind in total},
            "hit@1": first_hits([e for e in found if e.story == story.name], ranker),
        }
        print(f"{story.name}: {json.dumps(scores[story.name])}", file=sys.stderr, flush=True)
    return scores


def first_hits(held_out: list[Example], ranker: LinearModel) -> dict[str, float] | None:
    """On the answerable questions with evidence (asked of one story, or of one outlet), how often the passage
    ranked first holds it, among the candidates the relevance model reads, ordered by the bi-encoder's cosine,
    by the relevance model, and by the answer ranker."""
    rows = [e for e in held_out if e.answerable and e.row["evidence"]]
    if not rows:
        return None  # a QA set without evidence strings (the first two real stories)
    orders = {
        "cosine": lambda signals: signals["cosine"],
        "relevance": lambda signals: signals["relevance"],
        "answer ranker": ranker.logit,
    }
    return {
        name: sum(max(e.passages, key=lambda p: order(p[0]))[1] for e in rows) / len(rows)
        for name, order in orders.items()
    }


def write(folder: Path, ranker: LinearModel, decision: LinearModel, record: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "passage.json").write_text(json.dumps(ranker.to_dict(), indent=1) + "\n", encoding="utf-8")
    (folder / "question.json").write_text(json.dumps(decision.to_dict(), indent=1) + "\n", encoding="utf-8")
    if record:
        (folder / "training.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", nargs="*", default=[])
    parser.add_argument("--squad", type=Path, help="a SQuAD 2.0 file whose articles are fitted on too")
    parser.add_argument("--loso", action="store_true", help="also score leave-one-story-out")
    parser.add_argument("--out", type=Path, default=linear.DECISION_DIR)
    args = parser.parse_args()
    rng = random.Random(13)
    chosen = stories(args.stories)
    started = time.perf_counter()
    public = tempfile.TemporaryDirectory()
    if args.squad:
        chosen += squad_stories(args.squad, Path(public.name), rng)
    found: list[Example] = []
    # The candidates a question gets do not depend on the ranker's order (all of them are read), so they are
    # gathered with a ranker that rates every passage alike.
    with models_in_use(UNFITTED, UNFITTED):
        for i, story in enumerate(chosen):
            other = chosen[(i + 1) % len(chosen)]
            borrowed = rng.sample([r["question"] for r in other.rows], min(BORROWED_QUESTIONS, len(other.rows)))
            found += examples(story, borrowed, rng)
            print(f"{story.name}: {sum(e.story == story.name for e in found)} questions", file=sys.stderr, flush=True)
    ranker = fit_passages(found)
    decision = fit_decision(found, ranker, {s.name for s in chosen if not s.scored})
    record = {
        "stories": {s.name: sum(e.story == s.name for e in found) for s in chosen},
        "questions": len(found),
        "public_stories": [s.name for s in chosen if not s.scored],
        "answerable": sum(e.answerable for e in found),
        "candidates": CANDIDATES,
        "borrowed_questions_per_story": BORROWED_QUESTIONS,
        "random_questions_per_story": RANDOM_QUESTIONS,
        "C": C,
    }
    if args.loso:
        record["leave_one_story_out"] = leave_one_out(chosen, found)
    record["seconds"] = round(time.perf_counter() - started)
    public.cleanup()
    write(args.out, ranker, decision, record)
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
