import json
from pathlib import Path

from tests.test_cli import run_cli

ROWS = [
    {
        "id": "t1",
        "question": "Who warned of another mobilization wave?",
        "kind": "attribution",
        "answer": "Aleksey Zhuravlev",
        "evidence": ["Aleksey Zhuravlev"],
        "must": ["Aleksey Zhuravlev"],
        "must_not": [],
        "abstain": False,
    },
    {
        "id": "t2",
        "question": "What did Olaf Scholz say?",
        "kind": "unanswerable",
        "answer": "",
        "evidence": [],
        "must": [],
        "must_not": [],
        "abstain": True,
    },
    {
        "id": "t3",
        "question": "What did Peskov say?",
        "kind": "attribution",
        "answer": "",
        "evidence": ["moot"],
        "must": ["NATO official"],
        "must_not": [],
        "abstain": False,
    },
]


def test_eval_command_reports_metrics_and_failures(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    result = run_cli(tmp_path / "home", "eval", "--qa", str(qa), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    overall = summary["overall"]
    assert overall["rows"] == 3 and abs(overall["correct"] - 2 / 3) < 1e-9
    assert overall["retrieval"]["hybrid+rerank"]["hit@3"] == 1.0
    assert overall["abstention_precision"] == 1.0 and overall["abstention_recall"] == 1.0
    assert [f["id"] for f in summary["failures"]] == ["t3"]
    assert summary["latency_ms"]["median"] > 0


def test_eval_rejects_a_malformed_qa_file(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"id": "x", "question": "q"}\n', encoding="utf-8")
    result = run_cli(tmp_path / "home", "eval", "--qa", str(qa), "--no-ingest")
    assert result.returncode == 2 and "field 'kind' must be a str" in result.stderr
