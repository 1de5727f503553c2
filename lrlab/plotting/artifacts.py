"""Checked, cached reads of the pipeline outputs the figures and the report are drawn from.

Every missing or malformed file stops with a :class:`~lrlab.errors.LrlabError` that names
the file and the stage that writes it, never a traceback from pandas or torch.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from lrlab.config import VariantConfig
from lrlab.datasets.prepared import SUFFIX, PreparedData, load_prepared
from lrlab.errors import LrlabError
from lrlab.io import UnreadableTorchFile, load_torch
from lrlab.plotting.model_params import Layer, linear_layers, single_linear


def require(root: Path, rel: str, stage: str) -> Path:
    """``root / rel``, or an error naming the missing file and the stage that writes it."""
    path = root / rel
    if not path.is_file():
        raise LrlabError(f"{rel}: not found. It is written by `{stage}`; run `dvc repro`.")
    return path


def read_metrics(root: Path, key: str) -> dict[str, Any]:
    """``metrics/<key>.json`` as a dict."""
    rel = f"metrics/{key}.json"
    text = require(root, rel, f"evaluate@{key}").read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LrlabError(f"{rel}: not valid JSON ({exc}). Rerun `evaluate@{key}`.") from None
    if not isinstance(data, dict):
        raise LrlabError(f"{rel}: expected a JSON object. Rerun `evaluate@{key}`.")
    return data


class Artifacts:
    """Cached, checked reads of the pipeline outputs under ``root``."""

    def __init__(self, root: Path, variants: dict[str, VariantConfig], seed: int) -> None:
        self.root, self.variants, self.seed = root, variants, seed
        self.history = cache(self._history)
        self.metrics = cache(self._metrics)
        self.checkpoint = cache(self._checkpoint)
        self.data = cache(self._data)

    def _path(self, rel: str, stage: str) -> Path:
        return require(self.root, rel, stage)

    def _csv(self, rel: str, stage: str, columns: tuple[str, ...]) -> pd.DataFrame:
        try:
            frame = pd.read_csv(self._path(rel, stage))
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise LrlabError(f"{rel}: not a readable CSV ({exc}). Rerun `{stage}`.") from None
        missing = [c for c in columns if c not in frame.columns]
        if missing or frame.empty:
            raise LrlabError(
                f"{rel}: expected columns {list(columns)} and at least one row; "
                f"found columns {list(frame.columns)}, {len(frame)} rows. Rerun `{stage}`."
            )
        return frame

    def _history(self, key: str) -> pd.DataFrame:
        return self._csv(f"plots/{key}/history.csv", f"train@{key}", ("epoch", "train_loss"))

    def predictions(self, key: str) -> pd.DataFrame:
        rel = f"plots/{key}/predictions.csv"
        return self._csv(rel, f"evaluate@{key}", ("actual", "predicted"))

    def _metrics(self, key: str) -> dict[str, Any]:
        return read_metrics(self.root, key)

    def _checkpoint(self, key: str) -> dict[str, Any]:
        from lrlab.models import parse_checkpoint  # imports torch: only the plots need it

        path = self._path(f"models/{key}.pt", f"train@{key}")
        try:
            obj = load_torch(path)
        except (OSError, UnreadableTorchFile) as exc:
            raise LrlabError(
                f"models/{key}.pt: cannot be read: {exc}. Rerun `train@{key}`."
            ) from None
        return parse_checkpoint(obj, f"models/{key}.pt", key)

    def _data(self, dataset: str) -> PreparedData:
        rel = f"data/prepared/{dataset}{SUFFIX}"
        return load_prepared(self._path(rel, f"prepare@{dataset}"))

    def layers(self, key: str) -> list[Layer]:
        return linear_layers(self.checkpoint(key)["state_dict"], f"models/{key}.pt")

    def linear(self, key: str) -> Layer:
        return single_linear(self.checkpoint(key)["state_dict"], f"models/{key}.pt")
