"""`python -m rag …`: ingest, ask, list, remove, add, serve. Commands that need no model start fast."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import PROJECT_ROOT, Config
from rag.ingest.articles import CorpusError, read_text
from rag.question.answer import Answer, QuestionError

if TYPE_CHECKING:
    from rag.engine import Engine
    from rag.question.prose import LLMSpec

DEFAULT_QA = PROJECT_ROOT / "eval" / "qa-seed.jsonl"
DEFAULT_GOLD = PROJECT_ROOT / "eval" / "attribution" / "heldout"
DEFAULT_SPEAKER_LABELS = PROJECT_ROOT / "eval" / "speakers" / "labels.jsonl"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rag", description=__doc__)
    parser.add_argument("--home", help="data folder (Chroma files, catalog); default $RAG_HOME or ./.rag")
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--llm",
        default=os.environ.get("RAG_LLM") or None,
        help="answer in verified prose from a language model: openai-like:URL[:MODEL] or llama-cpp:PATH.gguf "
        "(default $RAG_LLM; none: grounded excerpts only)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="add or update articles (default: the corpus folder)")
    ingest.add_argument("paths", nargs="*", help="article files or folders")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")

    ask = sub.add_parser("ask", help="answer a question with verbatim citations")
    ask.add_argument("question", nargs="?", help="the question")
    ask.add_argument("--batch", type=Path, help="file with one question a line, or JSONL rows with 'question'")
    ask.add_argument("--json", action="store_true", help="print JSON (one object per line with --batch)")
    ask.add_argument("--top-k", type=int, default=5, help="passages to consider (default 5)")
    ask.add_argument("--article", action="append", dest="articles", help="search only this article id")

    chat = sub.add_parser("chat", help="a conversation: questions from standard input, follow-ups understood")
    chat.add_argument("--json", action="store_true", help="one JSON object per answer")
    chat.add_argument("--top-k", type=int, default=5, help="passages to consider (default 5)")
    chat.add_argument("--article", action="append", dest="articles", help="search only this article id")

    articles = sub.add_parser("articles", help="list indexed articles, or remove one")
    articles.add_argument("action", nargs="?", choices=["list", "remove"], default="list")
    articles.add_argument("article_id", nargs="?", help="id of the article to remove")
    articles.add_argument("--json", action="store_true")

    add = sub.add_parser("add", help="store a plain-text article in the corpus with its metadata and index it")
    add.add_argument("file", type=Path)
    add.add_argument("--title", required=True)
    add.add_argument("--outlet", required=True)
    add.add_argument("--date", required=True, help="YYYY-MM-DD")
    add.add_argument("--url")
    add.add_argument("--id", dest="article_id", help="default: outlet-date-title slug")
    add.add_argument("--language", default="en")

    attributions = sub.add_parser("attributions", help="who said what in an article: source, cue and content spans")
    attributions.add_argument("target", nargs="?", help="an indexed article id, an article file or a plain .txt")
    attributions.add_argument("--batch", type=Path, help="every .txt in a folder; one JSON object per file")
    attributions.add_argument("--json", action="store_true")

    who = sub.add_parser("who", help="speakers and what each said, grouped by speaker")
    who.add_argument("--article", help="only this article id")

    check = sub.add_parser("check", help="report where corpus files, catalog and Chroma disagree")
    check.add_argument("--repair", action="store_true", help="make the index match the corpus folder")
    check.add_argument("--json", action="store_true")

    eval_attr = sub.add_parser("eval-attributions", help="span P/R/F1 of attribution extraction against gold")
    eval_attr.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="folder of NAME.txt + NAME.ann (brat)")
    eval_attr.add_argument("--polnear", type=Path, help="score on a PolNeAR checkout's dev split instead")
    eval_attr.add_argument("--json", action="store_true")

    eval_speakers = sub.add_parser("eval-speakers", help="shown speakers and their kinds against hand labels")
    eval_speakers.add_argument("--labels", type=Path, default=DEFAULT_SPEAKER_LABELS, help="labels (JSON lines)")
    eval_speakers.add_argument("--kits", type=Path, required=True, help="folder of story folders the labels name")
    eval_speakers.add_argument("--json", action="store_true")

    eval_outlets = sub.add_parser(
        "eval-outlets", help="claim pairs and stances of one story's outlets against hand labels"
    )
    eval_outlets.add_argument("labels", type=Path, help="folder with claim-pairs.jsonl (and stances.jsonl)")
    eval_outlets.add_argument("--articles", type=Path, required=True, help="the story's articles, ingested fresh")
    eval_outlets.add_argument("--json", action="store_true")

    compare = sub.add_parser("compare", help="actors' positions side by side, with the evidence behind each")
    compare.add_argument("--topic", help="only evidence about this topic")
    compare.add_argument("--article", action="append", dest="articles", help="only this article id (repeatable)")
    compare.add_argument("--json", action="store_true")

    compare_articles = sub.add_parser("compare-articles", help="how two or more articles report one story")
    compare_articles.add_argument("ids", nargs="+", help="article ids (two or more)")
    compare_articles.add_argument("--json", action="store_true")

    sub.add_parser("stories", help="groups of indexed articles that report the same event")

    story = sub.add_parser("story", help="a story's claims outlet by outlet, and how the outlets' accounts differ")
    story.add_argument("ids", nargs="*", help="article ids of one story (default: every story of 2+ articles)")
    story.add_argument("--json", action="store_true")

    ev = sub.add_parser("eval", help="run a QA file and print metrics")
    ev.add_argument(
        "--qa",
        type=Path,
        default=DEFAULT_QA,
        help=f"JSONL QA file (default {DEFAULT_QA.name}), or a story folder (articles/ and qa.jsonl), which is "
        "ingested into a fresh temporary home",
    )
    ev.add_argument(
        "--answer-selection",
        type=Path,
        help="instead: MAP and MRR on the WikiQA / TrecQA test files in this folder (or this file)",
    )
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--no-ingest", action="store_true", help="evaluate what is indexed, skip ingesting")
    ev.add_argument("--no-baseline", action="store_true", help="skip the plain dense baseline")
    ev.add_argument("--report", type=Path, help="write report.md, report.html and report.json to this folder")
    ev.add_argument("--min-correct", type=float, help="exit 3 when answer correctness is below this")
    ev.add_argument("--min-citation-recall", type=float, help="exit 3 when citation recall is below this")

    serve = sub.add_parser("serve", help="ingest the corpus and start the chat page")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")))
    serve.add_argument("--no-ingest", action="store_true", help="serve what is indexed, skip ingesting")
    serve.add_argument("--read-only", action="store_true", help="no uploads or removals through the page")
    serve.add_argument(
        "--auth-file", type=Path, help="USER:PASSWORD lines; required (or RAG_AUTH=USER:PASSWORD) off loopback"
    )
    return parser


def _engine(args: argparse.Namespace, config: Config | None = None) -> Engine:
    from rag.engine import Engine

    return Engine(config or Config.from_env(home=args.home, chroma_url=args.chroma_url))


def _llm(args: argparse.Namespace) -> LLMSpec | None:
    """The language model chosen by --llm or $RAG_LLM, loaded now so a bad setting fails before any question;
    None for grounded answers only."""
    from rag.question.prose import LLMSpec, load_llm

    if not args.llm:
        return None
    spec = LLMSpec.parse(args.llm)
    load_llm(spec)
    return spec


def _print_answer(answer: Answer, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    print(answer.answer)
    for c in answer.citations:
        print(f"  [{c.n}] {c.article_id} ({c.outlet}, {c.date}) chars {c.start}-{c.end}")


def _batch_questions(path: Path) -> Iterator[str]:
    for line_no, line in enumerate(read_text(path).splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(path, f"line {line_no} is not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or not isinstance(row.get("question"), str):
                raise CorpusError(path, f"line {line_no} has no 'question' string")
            yield row["question"]
        else:
            yield line


def cmd_ask(args: argparse.Namespace) -> int:
    if (args.question is None) == (args.batch is None):
        raise QuestionError("Give either a QUESTION or --batch FILE.")
    engine, llm = _engine(args), _llm(args)
    if args.question is not None:
        _print_answer(engine.ask(args.question, args.top_k, args.articles, llm), args.json)
        return 0
    for question in _batch_questions(args.batch):
        try:
            _print_answer(engine.ask(question, args.top_k, args.articles, llm), args.json)
        except QuestionError as exc:
            print(json.dumps({"question": question[:200], "error": str(exc)}) if args.json else f"error: {exc}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """Each line of standard input is a question; "And France?" is read against the questions before it."""
    engine, llm = _engine(args), _llm(args)
    asked: list[str] = []
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = engine.ask(line, args.top_k, args.articles, llm, history=asked)
        except QuestionError as exc:
            print(json.dumps({"question": line.strip()[:200], "error": str(exc)}) if args.json else f"error: {exc}")
            continue
        if not args.json and answer.question != " ".join(line.split()):
            print(f"(understood as: {answer.question})")
        _print_answer(answer, args.json)
        asked.append(answer.question)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    report = _engine(args).ingest(args.paths or None, progress=not args.quiet)
    for error in report.errors:
        print(f"rejected: {error}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


def cmd_articles(args: argparse.Namespace) -> int:
    if args.action == "remove":
        if not args.article_id:
            raise QuestionError("Name the article to remove: python -m rag articles remove ID")
        if not _engine(args).remove(args.article_id):
            print(f"error: no indexed article with id {args.article_id!r}", file=sys.stderr)
            return 1
        print(f"removed {args.article_id}")
        return 0
    entries = _engine(args).articles()
    if args.json:
        rows = [{**e.article.metadata(), "units": e.n_units, "content_hash": e.content_hash} for e in entries]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not entries:
        print("no articles indexed; run: python -m rag ingest")
    for e in [] if args.json else entries:
        print(f"{e.article.id}\t{e.article.date}\t{e.article.outlet}\t{e.n_units} units\t{e.article.title}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from rag.ingest.articles import new_article

    article = new_article(
        read_text(args.file),
        title=args.title,
        outlet=args.outlet,
        date=args.date,
        url=args.url,
        article_id=args.article_id,
        language=args.language,
        source=args.file,
    )
    target, report = _engine(args).add(article)
    print(f"stored {target}")
    for error in report.errors:
        print(f"rejected: {error}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from rag.evaluation.qa import below_thresholds, evaluate, format_table, story_folder

    if args.answer_selection:
        from rag.evaluation.answer_selection import score_tests

        scores = score_tests(args.answer_selection)
        if args.json:
            print(json.dumps(scores, indent=2))
        for row in [] if args.json else scores:
            for system in ("relevance model", "bi-encoder"):
                s = row[system]
                print(f"{row['file']}\t{system}\t{s['questions']} questions\tMAP {s['map']:.3f}\tMRR {s['mrr']:.3f}")
        return 0

    with tempfile.TemporaryDirectory(prefix="rag-eval-") as fresh:
        if args.qa.is_dir():
            articles, qa = story_folder(args.qa)
            engine = _engine(args, Config(home=Path(fresh), corpus_dir=articles.resolve()))
        else:
            engine, qa = _engine(args), args.qa
        if not args.no_ingest:
            engine.ingest(progress=False)
        report = evaluate(engine, qa, progress=not args.json, baseline=not args.no_baseline, llm=_llm(args))
    if args.report:
        from rag.evaluation.report import write_report

        for path in write_report(report, args.report):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(format_table(report))
        for failure in report["systems"]["ours"]["failures"]:
            print(f"FAILED {failure['id']} ({failure['kind']}): {failure['question']}")
    minimums = {"correct": args.min_correct, "citation_recall": args.min_citation_recall}
    failed = below_thresholds(report, {k: v for k, v in minimums.items() if v is not None})
    for line in failed:
        print(f"below threshold: {line}", file=sys.stderr)
    return 3 if failed else 0


def _text_and_publisher(engine: Engine, target: str) -> tuple[str, str | None]:
    """An indexed article's text and outlet; else a file: front matter if it has one, plain text if not."""
    article = engine.article(target)
    if article is not None:
        return article.text, article.outlet
    path = Path(target)
    text = read_text(path)
    if text.startswith("---"):
        from rag.ingest.articles import load_article

        article = load_article(path)
        return article.text, article.outlet
    return text, None


def cmd_attributions(args: argparse.Namespace) -> int:
    from rag.attribution.extract import extract_attributions

    if (args.target is None) == (args.batch is None):
        raise QuestionError("Give either an article id or FILE, or --batch DIR.")
    if args.batch is not None:
        files = sorted(p for p in args.batch.glob("*.txt") if p.is_file())
        if not files:
            raise CorpusError(args.batch, "holds no .txt files")
        for path in files:
            try:
                found = [a.to_dict() for a in extract_attributions(read_text(path))]
                print(json.dumps({"file": path.name, "attributions": found}, ensure_ascii=False))
            except CorpusError as exc:
                print(json.dumps({"file": path.name, "error": exc.problem}, ensure_ascii=False))
        return 0
    text, publisher = _text_and_publisher(_engine(args), args.target)
    found = extract_attributions(text, publisher)
    if args.json:
        print(json.dumps([a.to_dict() for a in found], ensure_ascii=False, indent=2))
        return 0
    for a in found:
        source = a.source.text if a.source else "(no source)"
        if a.resolved_source:
            source += f" [= {a.resolved_source.text}]"
        print(f"{source} | {a.cue.text} | {a.quote_type}, {a.source_kind}\n    {a.content.text}")
    return 0


def cmd_who(args: argparse.Namespace) -> int:
    rows = _engine(args).who_said(args.article)
    if not rows:
        print("no attributions indexed; run: python -m rag ingest")
    for article_id in sorted({row.article_id for row in rows}):
        print(f"\n{article_id}")
        for row in (r for r in rows if r.article_id == article_id):
            print(f"  {row.count:>2}  {row.as_written}  ({row.kind.replace('_', ' ')})")
            for cue, content in zip(row.cues, row.contents, strict=True):
                print(f"        {cue}: {content[:110]}{'…' if len(content) > 110 else ''}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    engine = _engine(args)
    report = engine.check()
    if args.repair and not report.clean:
        engine.repair(report)
        print("repaired: " + "; ".join(report.lines()))
        report = engine.check()
    if args.json:
        print(json.dumps({"clean": report.clean, **asdict(report)}, indent=2))
    else:
        print("\n".join(report.lines()) or "corpus folder, catalog and Chroma agree")
    return 0 if report.clean else 1


def cmd_eval_attributions(args: argparse.Namespace) -> int:
    from rag.evaluation.attribution_scores import format_scores, gold_polnear, score, score_folder

    scores = score(gold_polnear(args.polnear, "dev"), labelled=False) if args.polnear else score_folder(args.gold)
    print(json.dumps(scores, indent=2) if args.json else format_scores(scores))
    return 0


def cmd_eval_speakers(args: argparse.Namespace) -> int:
    from rag.evaluation.speaker_labels import read_labels, score_speaker_labels

    scores = score_speaker_labels(read_labels(args.labels), args.kits)
    print(
        json.dumps(scores, indent=2)
        if args.json
        else "\t".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in scores.items())
    )
    return 0


def cmd_eval_outlets(args: argparse.Namespace) -> int:
    from rag.evaluation.outlet_labels import score_outlet_labels

    with tempfile.TemporaryDirectory(prefix="rag-eval-") as fresh:
        engine = _engine(args, Config(home=Path(fresh), corpus_dir=args.articles.resolve()))
        engine.ingest(progress=False)
        scores = score_outlet_labels(engine, args.labels)
    if args.json:
        print(json.dumps(scores, indent=2))
    for name, figures in [] if args.json else scores.items():
        print(
            name + "\t" + "\t".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
        )
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    rows = _engine(args).actor_table(args.topic, args.articles)
    if args.json:
        print(json.dumps([row.to_dict() for row in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no actors found" + (f" on {args.topic!r}" if args.topic else ""))
    for row in rows:
        print(f"{row.actor}: {row.position}    (as {'; '.join(row.phrases)})")
        for item in row.evidence:
            print(f"    [{item.position}] {item.sentence.text[:120]}")
            print(f"        {item.reported_by} · {item.article_id} {item.sentence.start}-{item.sentence.end}")
    return 0


def cmd_compare_articles(args: argparse.Namespace) -> int:
    if len(args.ids) < 2:
        raise QuestionError("Name at least two article ids to compare.")
    result = _engine(args).compare_articles(args.ids)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    outlets = {a["id"]: a["outlet"] for a in result["articles"]}
    for pair in result["pairs"]:
        a, b = outlets[pair["a"]], outlets[pair["b"]]
        print(f"\n== {a} vs {b}: {len(pair['shared'])} shared claims")
        for shared in pair["shared"]:
            print(f"  {a}: {shared['a']['text'][:110]}\n  {b}: {shared['b']['text'][:110]}")
            for difference in shared["attribution_differences"]:
                print(f"    ! {difference}")
        for side, name in (("only_a", a), ("only_b", b)):
            for span in pair[side]:
                print(f"  only in {name}: {span['text'][:110]}")
        for naming in pair["naming"]:
            print(f"  naming: {naming['a']} ({a}) / {naming['b']} ({b})")
    for article_id, sources in result["sources"].items():
        print(f"\nsources of {outlets[article_id]}: " + "; ".join(f"{s['speaker']} ({s['kind']})" for s in sources))
    return 0


def cmd_stories(args: argparse.Namespace) -> int:
    engine = _engine(args)
    entries = {e.article.id: e.article for e in engine.articles()}
    for number, group in enumerate(engine.stories(), 1):
        print(f"story {number}: " + " | ".join(f"{entries[i].outlet} {entries[i].date} ({i})" for i in group))
    return 0


def cmd_story(args: argparse.Namespace) -> int:
    engine = _engine(args)
    groups = [args.ids] if args.ids else [g for g in engine.stories() if len(g) > 1]
    matrices = [engine.story_matrix(group) for group in groups]
    if args.json:
        print(json.dumps(matrices, ensure_ascii=False, indent=2))
        return 0
    for number, matrix in enumerate(matrices, 1):
        outlets = [a["outlet"] for a in matrix["articles"]]
        listed = ", ".join(a["outlet"] + (f" [{a['group']}]" if a["group"] else "") for a in matrix["articles"])
        print(f"story {number}: {len(matrix['claims'])} claims across {len(outlets)} outlets ({listed})")
        for group in matrix["same_text"]:
            print(f"  run the same text, counted once: {', '.join(group)}")
        for claim in matrix["claims"]:
            print(f"\n  carried by {len(claim['outlets'])} of {len(outlets)}: {', '.join(claim['outlets'])}")
            for cell in claim["cells"]:
                print(f"    {cell['outlet']}: {cell['text']}")
            for difference in claim["differences"]:
                print(f"    ! {difference}")
        for spelling in matrix["spellings"]:
            print(f"\n  spelling: {spelling}")
    return 0


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback


def _credentials(args: argparse.Namespace) -> list[tuple[str, str]]:
    """Login pairs from --auth-file or RAG_AUTH; none at all is refused for a host other than loopback."""
    lines = args.auth_file.read_text(encoding="utf-8").splitlines() if args.auth_file else []
    lines += [os.environ["RAG_AUTH"]] if os.environ.get("RAG_AUTH") else []
    pairs = [tuple(line.strip().split(":", 1)) for line in lines if line.strip()]
    if any(len(pair) != 2 or not all(pair) for pair in pairs):
        raise ValueError("credentials must be USER:PASSWORD, one pair a line")
    if not pairs and not _is_loopback(args.host):
        raise ValueError(
            f"serving on {args.host} needs credentials: set RAG_AUTH=USER:PASSWORD or pass --auth-file FILE"
        )
    return pairs


def cmd_serve(args: argparse.Namespace) -> int:
    credentials = _credentials(args)
    engine, llm = _engine(args), _llm(args)
    with engine.serving():
        if not args.no_ingest:
            report = engine.ingest()
            for error in report.errors:
                print(f"rejected: {error}", file=sys.stderr)
            print(report.summary())
        from ui.app import launch

        launch(engine, host=args.host, port=args.port, auth=credentials or None, read_only=args.read_only, llm=llm)
    return 0


COMMANDS = {
    "attributions": cmd_attributions,
    "who": cmd_who,
    "eval-attributions": cmd_eval_attributions,
    "eval-outlets": cmd_eval_outlets,
    "eval-speakers": cmd_eval_speakers,
    "check": cmd_check,
    "compare": cmd_compare,
    "compare-articles": cmd_compare_articles,
    "stories": cmd_stories,
    "story": cmd_story,
    "eval": cmd_eval,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "ingest": cmd_ingest,
    "articles": cmd_articles,
    "add": cmd_add,
    "serve": cmd_serve,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (CorpusError, QuestionError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
