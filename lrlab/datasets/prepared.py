"""The prepared-dataset container that ``prepare`` writes and ``train``/``evaluate`` read.

On disk, ``data/prepared/<name>.pt`` is a plain dict of tensors plus a JSON-able ``info``
dict, so it loads with ``torch.load(..., weights_only=True)``; ``info`` is also written
beside it as ``<name>.json`` for people and for the plots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from lrlab.errors import DataError
from lrlab.io import UnreadableTorchFile, load_torch


@dataclass(frozen=True)
class PreparedData:
    """Features ``x_*`` are float32 ``[n, d]``; targets ``y_*`` are int64 class labels
    ``[n]`` for classification or float32 ``[n]`` for regression. ``x_test``/``y_test`` are
    ``None`` when the dataset has no test split. ``info`` holds ``name``, ``task``
    (``"classification"``/``"regression"``), ``num_classes``, ``shapes``, ``class_counts``,
    ``normalization`` and dataset-specific extras (``class_names``, ``true_weight``,
    ``feature_scale``)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor | None
    y_test: torch.Tensor | None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def has_test(self) -> bool:
        return self.x_test is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "x_train": self.x_train,
            "y_train": self.y_train,
            "x_test": self.x_test,
            "y_test": self.y_test,
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, obj: Any, source: str = "prepared data") -> PreparedData:
        keys = {"x_train", "y_train", "x_test", "y_test", "info"}
        if not isinstance(obj, dict) or set(obj) != keys:
            raise DataError(
                f"{source}: not a prepared dataset (expected keys {sorted(keys)}). "
                "Rerun `dvc repro` to rebuild it."
            )
        return cls(**obj)


def load_prepared(path: str) -> PreparedData:
    """Read ``data/prepared/<name>.pt`` safely (``weights_only=True``)."""
    try:
        obj = load_torch(path)
    except FileNotFoundError:
        raise DataError(f"{path}: not found. Run `dvc repro` to prepare the datasets.") from None
    except UnreadableTorchFile as exc:
        raise DataError(
            f"{path}: cannot be read as a prepared dataset: {exc}. Delete it and rerun `dvc repro`."
        ) from None
    return PreparedData.from_dict(obj, source=path)
