import json
from pathlib import Path

import pytest

from rag.evaluation.citation_quality import citation_counts
from rag.evaluation.qa import load_qa
from rag.question.answer import Answer, Citation
from tests.conftest import run_cli

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
        "question": "What did Peskov say about <b>peacekeepers</b>?",
        "kind": "attribution",
        "answer": "",
        "evidence": ["moot"],
        "must": ["NATO official"],
        "must_not": [],
        "abstain": False,
    },
]


def write_qa(folder: Path) -> Path:
    qa = folder / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    return qa


@pytest.mark.subprocess
def test_eval_reports_ours_beside_the_baseline_and_writes_a_report(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path / "home", "eval", "--qa", str(write_qa(tmp_path)), "--json", "--report", str(tmp_path / "r")
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    ours, baseline = report["systems"]["ours"], report["systems"]["baseline"]
    assert ours["overall"]["rows"] == 3 and abs(ours["overall"]["correct"] - 2 / 3) < 1e-9
    assert ours["overall"]["retrieval"]["hybrid+rerank"]["hit@3"] == 1.0
    assert ours["overall"]["abstention_precision"] == 1.0 and ours["overall"]["abstention_recall"] == 1.0
    assert baseline["overall"]["abstention_recall"] == 0.0, "the plain pipeline never abstains"
    assert [f["id"] for f in ours["failures"]] == ["t3"]
    assert ours["by_kind"]["attribution"]["speaker_verbatim"] == 0.5
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "&lt;b&gt;peacekeepers" in html and "<b>" not in html
    assert "| ours | t3 | attribution |" in (tmp_path / "r" / "report.md").read_text(encoding="utf-8")


@pytest.mark.subprocess
def test_eval_exits_non_zero_below_a_threshold(tmp_path: Path) -> None:
    qa = write_qa(tmp_path)
    failing = run_cli(tmp_path / "home", "eval", "--qa", str(qa), "--no-baseline", "--min-correct", "0.9")
    assert failing.returncode == 3 and "below threshold: correct 0.667 < 0.9" in failing.stderr
    passing = run_cli(tmp_path / "home", "eval", "--qa", str(qa), "--no-baseline", "--min-correct", "0.6")
    assert passing.returncode == 0, passing.stderr


@pytest.mark.subprocess
def test_eval_rejects_a_malformed_qa_file(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"id": "x", "question": "q"}\n', encoding="utf-8")
    result = run_cli(tmp_path / "home", "eval", "--qa", str(qa), "--no-ingest")
    assert result.returncode == 2 and "field 'kind' must be a str" in result.stderr


def test_main_qa_set_has_the_promised_shape() -> None:
    rows = load_qa("eval/qa-seed.jsonl")
    kinds = [r["kind"] for r in rows]
    assert len(rows) >= 60 and kinds.count("unanswerable") >= 12
    assert {"fact", "attribution", "compare"} <= set(kinds)
    article = Path("corpus/mna-2025-02-01-eu-divided-over-western-troops.md").read_text(encoding="utf-8")
    assert all(e in article for r in rows for e in r["evidence"])
    assert len({r["id"] for r in rows}) == len(rows)


def test_citation_quality_catches_unsupported_and_needless_citations() -> None:
    text = "Officials said the bridge would open in May."
    one = Citation(1, "a", "Outlet", 0, len(text), text)
    other = Citation(2, "b", "Outlet", 0, 10, "Rain fell.")
    good = Answer("q", f"> {text} [1]", False, [one])
    counts = citation_counts(good)
    assert (counts.statements, counts.supported, counts.citations, counts.relevant) == (1, 1, 1, 1)
    invented = Answer("q", "Officials said the bridge would close in June. [1]", False, [one])
    assert citation_counts(invented).supported == 0
    padded = Answer("q", "Officials said the bridge would open in May. [1][2]", False, [one, other])
    padded_counts = citation_counts(padded)
    assert padded_counts.supported == 1 and padded_counts.citations == 2 and padded_counts.relevant == 1


@pytest.mark.subprocess
def test_eval_takes_a_story_folder_and_ingests_it_into_a_fresh_home(tmp_path: Path) -> None:
    story = tmp_path / "story"
    (story / "articles").mkdir(parents=True)
    (story / "articles" / "bridge.md").write_text(
        "---\ntitle: Bridge opens\noutlet: Eastport Herald\ndate: 2025-05-01\n---\n"
        "Mayor Ana Ortiz said the Eastport bridge would open in May.\n",
        encoding="utf-8",
    )
    rows = [
        {"id": "b1", "kind": "fact", "question": "When will the Eastport bridge open?", "must": ["May"]},
        {"id": "b2", "kind": "unanswerable", "question": "How much did the bridge cost?", "abstain": True},
    ]
    (story / "qa.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    home = tmp_path / "home"
    result = run_cli(home, "eval", "--qa", str(story), "--json", "--no-baseline")
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["rows"] == 2
    assert report["systems"]["ours"]["overall"]["correct"] == 1.0
    assert not home.exists(), "the story was ingested into a fresh home, not the configured one"
