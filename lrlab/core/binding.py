"""Binding a variant to its data: the one place that resolves a variant's widths from its
prepared dataset and checks that the two fit.

Every stage that reads a variant with its data (reference, train, evaluate, figures) calls
:func:`load_bound` or :func:`bind`; each variant/data mismatch has its one wording here. The
arrays are NumPy arrays as loaded (no torch here, so the reference stage stays light).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lrlab.base import layout
from lrlab.base.errors import ConfigError, DataError
from lrlab.core.config import IN, OUT, ModelConfig, VariantConfig
from lrlab.core.loss_table import LOSSES, names, spoken
from lrlab.core.model_kinds import KINDS
from lrlab.core.prepared import PreparedData, load_prepared


def data_task(y: Any, info: dict[str, Any]) -> str:
    """``classification`` or ``regression``, from ``info`` or the label dtype."""
    return info.get("task") or (
        "regression" if np.asarray(y).dtype.kind == "f" else "classification"
    )


def num_classes(y: Any, info: dict[str, Any]) -> int:
    return int(info.get("num_classes") or (int(y.max()) + 1 if len(y) else 0))


def resolve_widths(variant: VariantConfig, n_features: int, classes: int | None) -> VariantConfig:
    """``variant`` with every model width a number: omitted ``sizes`` become
    ``[n_features, outputs]``; ``in``/``out`` become ``n_features``/``outputs``, where outputs
    is the class count for cross-entropy and 1 otherwise. Numbers written in params.yaml are
    kept: a mismatch with the data is reported by :func:`bind`, naming the sizes key."""
    multiclass = LOSSES[variant.loss].multiclass
    if multiclass and not classes:
        raise ConfigError(
            f"loss '{variant.loss}' needs the class count of dataset '{variant.dataset}', which "
            "records none: it is a regression dataset. Use loss mse with it, or a "
            "classification dataset."
        )
    n_out = int(classes or 0) if multiclass else 1
    sizes = variant.model.sizes or [IN, OUT]
    widths = [n_features if s == IN else n_out if s == OUT else s for s in sizes]
    model = ModelConfig.model_validate({**variant.model.model_dump(), "sizes": widths})
    return variant.model_copy(update={"model": model})


def bind(name: str, variant: VariantConfig, data: PreparedData) -> VariantConfig:
    """``variants.<name>`` resolved for ``data`` (its widths taken from it), after every check
    that the two fit; a mismatch is a ConfigError (or a DataError for a malformed dataset)
    naming the key to change."""
    file = layout.prepared_file("", variant.dataset).as_posix()
    x, y, info = data.x_train, data.y_train, data.info
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise DataError(
            f"{file}: expected features [n, d] and n labels, got {tuple(x.shape)} and "
            f"{tuple(y.shape)}. Rerun `dvc repro -f -s {layout.prepare_stage(variant.dataset)}`."
        )
    n_features = x.shape[1]
    variant = resolve_widths(variant, n_features, info.get("num_classes"))
    sizes = list(variant.model.sizes)
    if sizes[0] != n_features:
        raise ConfigError(
            f"variants.{name}.model.sizes = {sizes} starts with input size {sizes[0]}, but "
            f"{file} has {n_features} features per sample. Set the first size to {n_features}."
        )
    for i, point in enumerate(variant.query_points):
        if len(point) != n_features:
            raise ConfigError(
                f"variants.{name}.query[{i}] = {variant.query[i]} gives {len(point)} value(s), "
                f"but {file} has {n_features} features per sample. Write each point as a list "
                f"of {n_features} numbers" + (" (or one number)." if n_features == 1 else ".")
            )
    task = data_task(y, info)
    if task != variant.task:
        raise ConfigError(
            f"variants.{name}.loss = '{variant.loss}' is a {variant.task} loss, but dataset "
            f"'{variant.dataset}' is a {task} dataset. Use loss {spoken(names(task))}, or "
            "another dataset."
        )
    if task == "classification":
        k = num_classes(y, info)
        multiclass = LOSSES[variant.loss].multiclass
        want = sizes[-1] if multiclass else 2
        if k != want:
            raise ConfigError(
                f"variants.{name}: loss '{variant.loss}' with model sizes {sizes} predicts "
                f"{want} classes, but dataset '{variant.dataset}' has {k}. "
                + (
                    f"Set the last of variants.{name}.model.sizes to {k}."
                    if multiclass
                    else f"Use loss {spoken(names(multiclass=True))} with a softmax or mlp model."
                )
            )
    if variant.test_each_epoch and not data.has_test:  # the config checked the rest
        raise ConfigError(
            f"variants.{name}.test_each_epoch = true needs a classification dataset with a test "
            f"split; {variant.dataset} has none. Set it to false."
        )
    optimizer = variant.optimizer
    if KINDS[variant.model.kind].trainer == "numpy" and (
        optimizer.momentum or optimizer.weight_decay
    ):
        raise ConfigError(
            f"variants.{name}.optimizer: the NumPy model runs plain gradient descent; use "
            "`{name: sgd, lr: ...}` without momentum or weight_decay."
        )
    return variant


def load_bound(root: Path, name: str, variant: VariantConfig) -> tuple[VariantConfig, PreparedData]:
    """``variant`` (``variants.<name>``) bound to its prepared dataset under ``root``, and that
    dataset (NumPy arrays)."""
    path = layout.prepared_file(root, variant.dataset)
    data = load_prepared(path, layout.prepare_stage(variant.dataset))
    return bind(name, variant, data), data
