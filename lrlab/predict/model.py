"""A model file turned back into a model that predicts: :func:`load_predictor`.

:meth:`Predictor.predict` computes what ``evaluate`` computes: the outputs in float64
(:func:`lrlab.train.models.forward_in_batches`), class labels by the loss's rule, class
probabilities by its link, so predicting the prepared test rows gives evaluate's numbers.
The model is built from the file's stored config as it is (validated when it was trained, and
the file CRC-checked), without the params schemas: their import would cost more than a
prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from lrlab.base.errors import DataError
from lrlab.core.loss_table import LOSSES
from lrlab.core.model_file import read_model_file, rerun
from lrlab.train.losses import predict_labels, probabilities
from lrlab.train.models import build_model, forward_in_batches, load_weights


@dataclass(frozen=True)
class Predictor:
    """A trained model and its loss, its input recipe (``inputs``) and what its file says
    ``about`` it."""

    loss: str
    module: torch.nn.Module
    inputs: dict[str, Any]
    about: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.about["variant"])

    @property
    def class_names(self) -> list[str] | None:
        return self.inputs["class_names"]

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """For float32 model inputs ``[n, d]``: the predictions ``[n]`` (class indices, or
        values) and, for a classifier, the class probabilities ``[n, k]`` (float64)."""
        outputs = forward_in_batches(self.module, torch.from_numpy(x))
        if self.class_names is None:
            return outputs.reshape(-1).numpy(), None
        p = probabilities(outputs, self.loss)
        if not LOSSES[self.loss].multiclass:
            p = torch.stack([1.0 - p, p], dim=1)
        return predict_labels(outputs, self.loss).numpy(), p.numpy()


def load_predictor(path: Path, key: str, shown: str | None = None) -> Predictor:
    """The model in ``path`` (read weights-only and checked: :func:`read_model_file`)."""
    checkpoint = read_model_file(path, key, shown)
    config = checkpoint["config"]
    try:
        loss, model = str(config["loss"]), SimpleNamespace(**config["model"])
        module = build_model(model, torch.Generator().manual_seed(0))
        assert loss in LOSSES
    except (AssertionError, AttributeError, KeyError, TypeError):
        raise DataError(f"{shown or path}: its config is not a variant's. {rerun(key)}") from None
    module = load_weights(module, checkpoint["state_dict"], shown or str(path), key)
    return Predictor(loss, module.eval(), checkpoint["inputs"], checkpoint["about"])
