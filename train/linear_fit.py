"""What the scripts fitting the small linear models (`answer_decision.py`, `claim_pairs.py`) share: a logistic
regression over named signals, and running the product with models just fitted."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from rag.models import linear
from rag.models.linear import LinearModel


def fit(rows: list[dict[str, float]], labels: list[bool], c: float, balanced: bool) -> LinearModel:
    """A logistic regression over the rows' signals (all rows name the same ones), standardised first."""
    from sklearn.linear_model import LogisticRegression

    names = list(rows[0])
    x = np.array([[row[n] for n in names] for row in rows])
    mean, scale = x.mean(0), x.std(0) + 1e-9
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced" if balanced else None)
    model.fit((x - mean) / scale, np.array(labels))
    return LinearModel.fitted(names, mean, scale, model.coef_[0], model.intercept_[0])


@contextmanager
def in_use(folder: str, models: dict[str, LinearModel], loader: Callable) -> Iterator[None]:
    """The product reads these models (file name -> model) while the block runs: `folder` names the attribute of
    `rag.models.linear` that says where they are, `loader` its cached reader."""
    with tempfile.TemporaryDirectory() as written:
        for name, model in models.items():
            (Path(written) / f"{name}.json").write_text(json.dumps(model.to_dict()), encoding="utf-8")
        before = getattr(linear, folder)
        setattr(linear, folder, Path(written))
        loader.cache_clear()
        try:
            yield
        finally:
            setattr(linear, folder, before)
            loader.cache_clear()
