"""Public answer-sentence-selection sets (WikiQA, TrecQA) read into questions with labelled candidates, and
their standard scores (MAP, MRR).

Formats read: WikiQA's TSV (`QuestionID Question [DocumentID DocumentTitle] SentenceID Sentence Label`,
candidates in document order) and TrecQA as `brmson/dataset-sts` ships it (CSV `qtext,label,atext`).
Candidates are grouped by question text, in file order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.articles import CorpusError


@dataclass(frozen=True)
class Candidate:
    sentence: str
    answers: bool
    before: str  # the sentence before it in its document ("" when unknown or first)


@dataclass(frozen=True)
class Question:
    text: str
    candidates: tuple[Candidate, ...]

    @property
    def answered(self) -> bool:
        return any(c.answers for c in self.candidates)


def read_questions(path: Path) -> list[Question]:
    """The questions of one WikiQA or TrecQA file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(path, f"cannot be read as UTF-8 text ({exc})") from exc
    header = text.split("\n", 1)[0]
    if "\t" in header and "Question" in header and "Sentence" in header:
        rows = list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
        triples = [(r["Question"], r["Sentence"], r["Label"] == "1") for r in rows]
        documents = [r.get("DocumentID", r["Question"]) for r in rows]
        in_order = True
    elif header.strip() == "qtext,label,atext":
        rows = list(csv.DictReader(io.StringIO(text)))
        triples = [(r["qtext"], r["atext"], r["label"] == "1") for r in rows]
        documents, in_order = [r["qtext"] for r in rows], False
    else:
        raise CorpusError(path, "not a WikiQA TSV or a TrecQA CSV (qtext,label,atext)")
    grouped: dict[str, list[Candidate]] = {}
    previous: dict[str, str] = {}
    for (question, sentence, label), document in zip(triples, documents, strict=True):
        before = previous.get(document, "") if in_order else ""
        grouped.setdefault(question, []).append(Candidate(sentence, label, before))
        previous[document] = sentence
    return [Question(q, tuple(c)) for q, c in grouped.items()]


def clean(questions: list[Question]) -> list[Question]:
    """The standard test protocol: questions with at least one right and one wrong candidate."""
    return [q for q in questions if q.answered and not all(c.answers for c in q.candidates)]


Scorer = Callable[[str, Sequence[Candidate]], Sequence[float]]


def map_mrr(questions: list[Question], score: Scorer) -> dict[str, float]:
    """Mean average precision and mean reciprocal rank of the candidates ranked by `score` (ties keep file
    order), over the questions with a right answer."""
    average_precisions, reciprocal_ranks = [], []
    for question in (q for q in questions if q.answered):
        scores = score(question.text, question.candidates)
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
        hits, precisions = 0, []
        for rank, index in enumerate(ranked, 1):
            if question.candidates[index].answers:
                hits += 1
                precisions.append(hits / rank)
        average_precisions.append(sum(precisions) / hits)
        first = next(rank for rank, index in enumerate(ranked, 1) if question.candidates[index].answers)
        reciprocal_ranks.append(1 / first)
    count = len(average_precisions)
    return {
        "questions": count,
        "map": sum(average_precisions) / count if count else 0.0,
        "mrr": sum(reciprocal_ranks) / count if count else 0.0,
    }


def test_files(folder: Path) -> list[Path]:
    """The test files of the sets in a folder (or the file itself): names with "test" that read as a set."""
    if folder.is_file():
        return [folder]
    found = sorted(
        p for p in folder.rglob("*") if p.is_file() and "test" in p.name.lower() and p.suffix in (".tsv", ".csv")
    )
    if not found:
        raise CorpusError(folder, "holds no WikiQA or TrecQA test file (a .tsv or .csv with 'test' in its name)")
    return found


def score_tests(folder: Path) -> list[dict[str, object]]:
    """MAP and MRR on each test file under `folder` (the standard clean questions), for the relevance model
    and, to compare, the bi-encoder's cosine that ranked passages before it."""
    import numpy as np

    from rag.models.encoder import embed_model
    from rag.models.relevance import relevance_model

    encoder = embed_model()

    def cosine(question: str, candidates: Sequence[Candidate]) -> list[float]:
        vectors = np.asarray(encoder.get_text_embedding_batch([c.sentence for c in candidates]))
        return (vectors @ np.asarray(encoder.get_query_embedding(question))).tolist()

    def relevance(question: str, candidates: Sequence[Candidate]) -> list[float]:
        return relevance_model().scores(question, [(c.sentence, "") for c in candidates]).tolist()

    rows = []
    for path in test_files(folder):
        questions = clean(read_questions(path))
        rows.append(
            {
                "file": path.name,
                "relevance model": map_mrr(questions, relevance),
                "bi-encoder": map_mrr(questions, cosine),
            }
        )
    return rows
