import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT
from tests.conftest import SEED_ID, run_cli
from tests.scripted_llm import scripted_llm

pytestmark = pytest.mark.subprocess


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cli-home")
    result = run_cli(home, "ingest", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout
    return home


def test_ask_json_contract(cli_home: Path) -> None:
    result = run_cli(cli_home, "ask", "Who warned of another mobilization wave?", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert not data["abstained"] and data["citations"][0]["article_id"] == SEED_ID
    assert "Aleksey Zhuravlev, First Deputy Chairman of the Russian State Duma Defense Committee" in data["answer"]


def test_ask_with_a_language_model_prints_its_checked_sentences(cli_home: Path) -> None:
    reply = "Aleksey Zhuravlev warned of another mobilization wave in Ukraine [1]. NATO agreed [1]."
    with scripted_llm(lambda messages: reply) as (url, script):
        result = run_cli(
            cli_home, "--llm", f"openai-like:{url}", "ask", "Who warned of another mobilization wave?", "--json"
        )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(script.requests) == 1 and data["verified"]
    assert [bool(s["problems"]) for s in data["model_sentences"]] == [False, True]
    assert data["answer"].startswith("Aleksey Zhuravlev warned") and "NATO agreed" not in data["answer"]


def test_ask_batch_prints_one_object_per_line(cli_home: Path, tmp_path: Path) -> None:
    batch = tmp_path / "questions.jsonl"
    batch.write_text(
        '{"question": "What did Peskov say?"}\nWhat did Olaf Scholz say?\n{"question": ""}\n', encoding="utf-8"
    )
    result = run_cli(cli_home, "ask", "--batch", str(batch), "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("abstained") for r in rows] == [False, True, None]
    assert rows[2]["error"] == "The question is empty."


def test_chat_reads_follow_ups_against_the_questions_before(cli_home: Path) -> None:
    conversation = "What did Peskov say?\nAnd what about Miroshnik?\n"
    result = run_cli(cli_home, "chat", "--json", stdin=conversation)
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["question"] == "What did Peskov say?" and "Dmitry Peskov" in first["answer"]
    assert second["question"] == "What did Miroshnik say?" and "Rodion Miroshnik" in second["answer"]
    shown = run_cli(cli_home, "chat", stdin=conversation).stdout
    assert "(understood as: What did Miroshnik say?)" in shown


def test_articles_lists_without_loading_models(cli_home: Path) -> None:
    result = run_cli(cli_home, "articles", "--json")
    assert [row["id"] for row in json.loads(result.stdout)] == [SEED_ID]
    probe = (
        "import sys; from rag.cli import main; main(['articles']); "
        "heavy = {'torch', 'chromadb', 'llama_index.core', 'gradio'} & set(sys.modules); assert not heavy, heavy"
    )
    env = {**os.environ, "RAG_HOME": str(cli_home)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert SEED_ID in done.stdout


def test_add_stores_and_indexes_then_remove(tmp_path: Path) -> None:
    home, corpus = tmp_path / "home", tmp_path / "corpus"
    body = tmp_path / "story.txt"
    body.write_text(
        "Officials in Northvale said the dam held. “We were lucky,” engineer Sam Lee told the Gazette.\n",
        encoding="utf-8",
    )
    result = run_cli(
        home,
        "add",
        str(body),
        "--title",
        "Dam holds",
        "--outlet",
        "Northvale Gazette",
        "--date",
        "2025-04-02",
        corpus=corpus,
    )
    assert result.returncode == 0, result.stderr
    stored = corpus / "northvale-gazette-2025-04-02-dam-holds.md"
    assert stored.read_text(encoding="utf-8").endswith(body.read_text(encoding="utf-8"))
    answer = json.loads(run_cli(home, "ask", "What did Sam Lee tell the Gazette?", "--json", corpus=corpus).stdout)
    assert "engineer Sam Lee told the Gazette" in answer["answer"]
    removed = run_cli(home, "articles", "remove", "northvale-gazette-2025-04-02-dam-holds", corpus=corpus)
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert json.loads(run_cli(home, "articles", "--json").stdout) == []


def test_attributions_of_an_indexed_article_a_file_and_a_folder(cli_home: Path, tmp_path: Path) -> None:
    indexed = json.loads(run_cli(cli_home, "attributions", SEED_ID, "--json").stdout)
    assert any(a["source"] and a["source"]["text"] == "Kremlin spokesman Dmitry Peskov" for a in indexed)
    assert indexed[0]["chain"][-1] == {"role": "published_by", "text": "Mehr News Agency"}
    story = tmp_path / "story.txt"
    story.write_text('"The dam held," engineer Sam Lee told the Northvale Gazette.\n', encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    single = json.loads(run_cli(cli_home, "attributions", str(story), "--json").stdout)
    assert single[0]["cue"]["text"] == "told" and single[0]["recipient"]["text"] == "the Northvale Gazette"
    assert single[0]["quote_type"] == "direct"
    batch = [
        json.loads(line) for line in run_cli(cli_home, "attributions", "--batch", str(tmp_path)).stdout.splitlines()
    ]
    assert [row["file"] for row in batch] == ["empty.txt", "story.txt"]
    assert batch[0]["error"] == "file is empty" and batch[1]["attributions"] == single


def test_who_groups_speakers_with_counts(cli_home: Path) -> None:
    result = run_cli(cli_home, "who", "--article", SEED_ID)
    assert result.returncode == 0, result.stderr
    assert "   2  Some EU officials  (anonymous)" in result.stdout
    assert "argue: This approach, they argue" in result.stdout
    assert "No indexed article" in run_cli(cli_home, "who", "--article", "nope").stderr


def test_eval_speakers_scores_labels_given_by_offsets(tmp_path: Path) -> None:
    folder = tmp_path / "kits" / "harbour" / "articles"
    folder.mkdir(parents=True)
    body = "Harbour minister Ana Ruiz said the pier would close."
    (folder / "pier.md").write_text(f"---\nid: pier\ntitle: Pier\noutlet: Beacon Post\ndate: 2025-01-02\n---\n{body}\n")
    cue = body.index("said")
    label = {"story": "harbour", "article": "pier.md", "cue": [cue, cue + 4], "source": [0, 25]}
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({**label, "speaker": [0, 25], "kind": "named_person"}) + "\n")
    args = ("eval-speakers", "--kits", str(tmp_path / "kits"), "--labels", str(labels), "--json")
    result = run_cli(tmp_path / "home", *args)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert (scores["shown"], scores["right"], scores["precision"], scores["kinds_right"]) == (1, 1, 1.0, 1.0)


def test_eval_attributions_prints_span_scores(cli_home: Path) -> None:
    result = run_cli(cli_home, "eval-attributions", "--json")
    scores = json.loads(result.stdout)
    assert scores["files"] == 3 and set(scores["spans"]) == {"source", "cue", "content"}


def test_eval_attributions_scores_a_polnear_dev_split(cli_home: Path, tmp_path: Path) -> None:
    split = tmp_path / "data" / "dev"
    (split / "text").mkdir(parents=True)
    (split / "attributions").mkdir()
    text = "The senator said the bill would pass next week."
    (split / "text" / "story.txt").write_text(text, encoding="utf-8")
    (split / "attributions" / "story_ab12.ann").write_text(
        "T1\tSource 0 11\tThe senator\nT2\tCue 12 16\tsaid\nT3\tContent 17 47\tthe bill would pass next week\n"
        "E1\tAttribution:T2 Content:T3 Cue:T2 Source:T1\n",
        encoding="utf-8",
    )
    result = run_cli(cli_home, "eval-attributions", "--polnear", str(tmp_path), "--json")
    scores = json.loads(result.stdout)
    assert scores["files"] == 1 and scores["attributions"] == 1
    assert scores["spans"]["source"]["overlap"]["gold"] == 1


def test_check_reports_agreement_and_exits_non_zero_on_drift(cli_home: Path, tmp_path: Path) -> None:
    assert run_cli(cli_home, "check").stdout.strip() == "corpus folder, catalog and Chroma agree"
    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    drift = run_cli(cli_home, "check", "--json", corpus=empty)
    assert drift.returncode == 1 and json.loads(drift.stdout)["no_file"] == [SEED_ID]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "no/such/file.md"], "no such file or folder"),
        (["ask"], "Give either a QUESTION or --batch FILE"),
        (["add", "no/such.txt", "--title", "t", "--outlet", "o", "--date", "2025-01-01"], "cannot read file"),
        (
            [
                "add",
                "corpus/mna-2025-02-01-eu-divided-over-western-troops.md",
                "--title",
                "t",
                "--outlet",
                "o",
                "--date",
                "2025-01-01",
            ],
            "already has front matter",
        ),
        (["serve", "--host", "0.0.0.0", "--no-ingest"], "needs credentials"),
        (["--llm", "gpt-4", "ask", "Who?"], "Unknown language model setting 'gpt-4'"),
        (["--llm", "llama-cpp:/no/such/model.gguf", "ask", "Who?"], "/no/such/model.gguf"),
    ],
)
def test_user_errors_are_one_line_messages_not_tracebacks(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli(tmp_path, *args)
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
