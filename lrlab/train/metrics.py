"""Evaluation metrics from a trained model's outputs, and the metrics dict ``evaluate`` writes.

Outputs are computed once per split in float64 (``models.forward_in_batches``); every metric
is a pure function of outputs and labels. The schema (numbers only, except ``device`` and the
reference's ``method``) is documented in :func:`assemble_metrics`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from lrlab.core.config import VariantConfig
from lrlab.core.loss_table import LOSSES, task_of
from lrlab.core.prepared import PreparedData
from lrlab.train.losses import get_loss, predict_labels, probabilities, shape_targets
from lrlab.train.models import forward_in_batches, single_layer

REFERENCE_SKIP = ("seconds", "n_train", "loss")  # bookkeeping, not results
META_KEYS = (
    "train_seconds",
    "seed_sweep_seconds",
    "train_peak_rss_mb",
    "train_peak_cuda_mb",
    "device",
    "epochs",
    "seed",
)


def classification_metrics(outputs: torch.Tensor, y: torch.Tensor, loss: str) -> dict[str, float]:
    """The variant's loss and the accuracy on one split."""
    value = get_loss(loss)(outputs, shape_targets(y, loss, outputs.dtype))
    correct = predict_labels(outputs, loss) == y.reshape(-1)
    return {"loss": float(value), "accuracy": float(correct.double().mean())}


def regression_metrics(outputs: torch.Tensor, y: torch.Tensor, loss: str) -> dict[str, float]:
    """Mean squared error on one split, and the variant's loss (for the squared error the MSE,
    or for a summed one the squared errors' sum; else its own function's value)."""
    mse = float(torch.mean((outputs.reshape(-1) - y.reshape(-1).to(outputs.dtype)) ** 2))
    spec = LOSSES[loss]
    if not spec.squared_error:
        value = get_loss(loss)(outputs, shape_targets(y, loss, outputs.dtype))
        return {"loss": float(value), "mse": mse}
    return {"loss": mse * len(y) if spec.summed else mse, "mse": mse}


def r2_score(predicted: torch.Tensor, y: torch.Tensor) -> float | None:
    """Coefficient of determination; ``None`` when ``y`` is constant."""
    y = y.reshape(-1).to(torch.float64)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    ss_res = float(((y - predicted.reshape(-1).to(torch.float64)) ** 2).sum())
    return None if ss_tot == 0 else 1.0 - ss_res / ss_tot


def confusion_matrix(predicted: np.ndarray, actual: np.ndarray, k: int) -> np.ndarray:
    """``k x k`` counts; row = actual class, column = predicted class."""
    return np.bincount(actual * k + predicted, minlength=k * k).reshape(k, k)


def threshold_x(weight: float, bias: float) -> float | None:
    """Where a 1-D logistic model crosses P = 0.5: ``-b / w`` (``None`` if ``w = 0``)."""
    return None if weight == 0 else -bias / weight


def raw_units(weight: list[float], bias: float, scale: Any) -> dict[str, Any]:
    """A boundary fitted on ``x / scale`` expressed for raw ``x``: ``w_raw = w / scale``."""
    w = np.asarray(weight, dtype=np.float64) / np.asarray(scale, dtype=np.float64)
    return {"weight": w.tolist(), "bias": float(bias)}


def scalar_or_list(values: list[float]) -> float | list[float]:
    return values[0] if len(values) == 1 else values


def split_metrics(outputs: torch.Tensor, y: torch.Tensor, loss: str) -> dict[str, float]:
    if task_of(loss) == "regression":
        return regression_metrics(outputs, y, loss)
    return classification_metrics(outputs, y, loss)


def point_predictions(outputs: torch.Tensor, loss: str) -> torch.Tensor:
    """What a model predicts for each sample: a class label, or the regression value."""
    regression = task_of(loss) == "regression"
    return outputs.reshape(-1) if regression else predict_labels(outputs, loss)


def query_key(point: list[float]) -> str:
    """``x=4.0`` for a one-feature point, ``x=(-0.29, 0.49, …)`` for a longer one."""
    return f"x={point[0]}" if len(point) == 1 else "x=(" + ", ".join(f"{v:g}" for v in point) + ")"


def query_values(outputs: torch.Tensor, points: list[list[float]], loss: str) -> dict[str, float]:
    """``{"x=4.0": value}``: the prediction (regression), P(y = 1) (binary) or the class."""
    if task_of(loss) == "regression":
        values = outputs.reshape(-1)
    elif LOSSES[loss].multiclass:
        values = predict_labels(outputs, loss)
    else:
        values = probabilities(outputs, loss)
    return {query_key(p): float(v) for p, v in zip(points, values.tolist(), strict=True)}


def reference_section(reference: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in reference.items() if k not in REFERENCE_SKIP}


def assemble_metrics(
    variant: VariantConfig,
    splits: dict[str, dict[str, float]],
    reference: dict[str, Any],
    meta: dict[str, Any],
    extras: dict[str, Any],
) -> dict[str, Any]:
    """``{"train": {...}, "test": {...}?, <extras>, "reference": {...}, "optimality_gap"?,
    "train_seconds", "device", "epochs", "seed"}``; the gap (train loss minus the reference
    optimum's) only for convex variants."""
    out: dict[str, Any] = {**splits, **extras, "reference": reference_section(reference)}
    if variant.is_convex and "train_loss" in reference:
        out["optimality_gap"] = splits["train"]["loss"] - reference["train_loss"]
    out.update({k: meta[k] for k in META_KEYS if k in meta})
    return {k: v for k, v in out.items() if v is not None}


def model_extras(
    model: nn.Module,
    variant: VariantConfig,
    info: dict[str, Any],
    reference: dict[str, Any],
    initial: nn.Module | None = None,
) -> dict[str, Any]:
    """Weights, bias, 1-D threshold, raw-unit boundary and query predictions (also by the
    ``initial`` weights, before training, when given), where defined."""
    extras: dict[str, Any] = {}
    layer = single_layer(model)
    if layer is not None and variant.model.sizes[-1] == 1:
        weight, bias = layer[0].reshape(-1).tolist(), float(layer[1].reshape(-1)[0])
        extras["weight"], extras["bias"] = scalar_or_list(weight), bias
        if variant.task == "classification" and len(weight) == 1:
            extras["threshold_x"] = threshold_x(weight[0], bias)
        if variant.task == "classification" and info.get("feature_scale") is not None:
            scale = info["feature_scale"]
            extras["raw_units"] = {"learned": raw_units(weight, bias, scale)}
            if "weight" in reference:
                ref = raw_units(reference["weight"], reference["bias"], scale)
                extras["raw_units"]["reference"] = ref
    if variant.query:
        points = variant.query_points
        x = torch.tensor(points, dtype=torch.float64)
        extras["query"] = query_values(forward_in_batches(model, x), points, variant.loss)
        if initial is not None:
            before = forward_in_batches(initial, x)
            extras["query_initial"] = query_values(before, points, variant.loss)
    for name in ("true_weight", "true_bias"):  # synthetic data's generating coefficients
        if info.get(name) is not None:
            value = info[name]
            extras[name] = scalar_or_list(value) if isinstance(value, list) else value
    return extras


def evaluate(
    model: nn.Module,
    variant: VariantConfig,
    data: PreparedData,
    reference: dict[str, Any],
    meta: dict[str, Any],
    initial: nn.Module | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Metrics of a trained model (evaluated in float64) and the evaluation split's
    ``actual``/``predicted`` columns (the test split, or the training split if none);
    ``initial``, the model before training, adds its query predictions."""
    outputs = {"train": forward_in_batches(model, data.x_train)}
    labels = {"train": data.y_train}
    if data.has_test:
        outputs["test"] = forward_in_batches(model, data.x_test)
        labels["test"] = data.y_test
    splits = {s: split_metrics(outputs[s], labels[s], variant.loss) for s in outputs}
    extras = model_extras(model, variant, data.info, reference, initial)
    shown = "test" if data.has_test else "train"
    predicted = point_predictions(outputs[shown], variant.loss)
    if variant.task == "regression":
        extras["r2"] = r2_score(predicted, labels[shown])
    columns = {"actual": labels[shown].numpy(), "predicted": predicted.numpy()}
    return assemble_metrics(variant, splits, reference, meta, extras), columns
