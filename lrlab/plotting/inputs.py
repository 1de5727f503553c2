"""What a variant's figures are drawn from: its own outputs, read once and checked.

:class:`Inputs` holds the variant's config (widths taken from its data), metrics, training
history and prepared data, and reads its model file and predictions only when a figure
asks for them. Every read goes through :mod:`lrlab.core.outputs` or the prepared-data loader, so
a missing or damaged file is a clear error naming the file and the stage to rerun.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from lrlab.base import layout
from lrlab.core.binding import bind
from lrlab.core.config import VariantConfig
from lrlab.core.loss_table import LOSSES, LossSpec
from lrlab.core.outputs import read_history, read_metrics, read_predictions, require, step_losses
from lrlab.core.prepared import PreparedData, load_prepared
from lrlab.plotting.model_params import Layer, linear_layers, single_linear


def first(value: Any) -> float | None:
    """The first number of a scalar or (nested) list, e.g. a stored 1x1 weight."""
    if value is None:
        return None
    arr = np.asarray(value, dtype=float).ravel()
    return float(arr[0]) if arr.size else None


def describe(key: str, cfg: VariantConfig) -> str:
    """Short title: variant, dataset, model and optimizer."""
    sizes = "-".join(map(str, cfg.model.sizes or []))
    batch = "" if cfg.batch_size == "full" else f", batch {cfg.batch_size}"
    opt = cfg.optimizer
    return f"{key}: {cfg.dataset}, {cfg.model.kind} {sizes}, {opt.name} lr {opt.lr:g}{batch}"


class Inputs:
    """The files one variant's figures read, under repository root ``root``."""

    def __init__(
        self,
        root: Path,
        key: str,
        variant: VariantConfig,
        data: PreparedData | None = None,
        checkpoint: dict[str, Any] | None = None,
    ) -> None:
        """``data`` and ``checkpoint``, when the caller has them in memory already (the
        evaluate stage), are used instead of reading the prepared file and the model file."""
        self.root, self.key = root, key
        if data is None:
            path = layout.prepared_file(root, variant.dataset)
            stage = layout.prepare_stage(variant.dataset)
            data = load_prepared(require(path, root, stage), stage)
        self.data: PreparedData = data
        if checkpoint is not None:
            self.__dict__["checkpoint"] = checkpoint  # fills the cached property
        self.info: dict[str, Any] = self.data.info
        self.x, self.y = np.asarray(self.data.x_train), np.asarray(self.data.y_train)
        self.has_test = self.data.has_test
        self.x_test = np.asarray(self.data.x_test) if self.has_test else None
        self.y_test = np.asarray(self.data.y_test) if self.has_test else None
        self.n_features = self.x.shape[1]
        self.cfg = bind(key, variant, self.data)
        self.loss_spec: LossSpec = LOSSES[self.cfg.loss]
        self.title = describe(key, self.cfg)
        self.metrics = read_metrics(root, key)
        history = read_history(root, key, self.checkpoint["meta"].get("history_sha256"))
        self.epochs, self.loss = history["epoch"], history["train_loss"]
        self.accuracy = history.get("train_accuracy")
        self.test_curve = history.get("test_accuracy")  # with test_each_epoch
        self.step_losses = step_losses(history)  # with log_every: {step: loss per epoch}
        batch = self.cfg.batch_size
        self.steps_per_epoch = 1 if batch == "full" else -(-len(self.x) // batch)
        self.ref: dict[str, Any] = self.metrics.get("reference") or {}
        method = self.ref.get("method")
        self.ref_label = f"exact optimum ({method})" if method else "exact optimum"
        if self.ref.get("converged") is False:  # the solver stopped short: an upper bound
            self.ref_label = f"unconverged optimum ({method})"
        if self.ref.get("attained") is False:  # no finite weights reach the infimum
            self.ref_label = f"best value found, not attained: no minimiser ({method})"
        # an MLP's reference is a baseline, not its optimum: drawn only where it is the point
        exact = self.cfg.is_convex and not self.ref.get("separable")
        self.ref_loss = self.ref.get("train_loss") if exact else None
        self.ref_acc = self.ref.get("train_accuracy") if exact else None
        separable = self.cfg.is_convex and self.ref.get("separable")
        self.note = "separable data: no finite optimum (loss → 0)" if separable else None

    @property
    def is_images(self) -> bool:
        return bool(self.info.get("image_shape"))

    @property
    def class_names(self) -> list[str]:
        n = int(self.info.get("num_classes") or int(self.y.max()) + 1)
        return [str(c) for c in self.info.get("class_names") or range(n)]

    @cached_property
    def predictions(self) -> dict[str, np.ndarray]:
        return read_predictions(self.root, self.key)

    @cached_property
    def checkpoint(self) -> dict[str, Any]:
        from lrlab.core.model_file import read_model_file  # imports torch: model figures only

        path = require(layout.model_file(self.root, self.key), self.root, f"train@{self.key}")
        return read_model_file(path, self.key, layout.relative(self.root, path))

    @property
    def _model_name(self) -> str:
        return layout.relative(self.root, layout.model_file(self.root, self.key))

    @property
    def layers(self) -> list[Layer]:
        return linear_layers(self.checkpoint["state_dict"], self._model_name)

    @property
    def linear(self) -> Layer:
        return single_linear(self.checkpoint["state_dict"], self._model_name)

    @property
    def initial_linear(self) -> Layer:
        """The weights training started from, as saved in the model file."""
        return single_linear(self.checkpoint["initial_state_dict"], self._model_name)
