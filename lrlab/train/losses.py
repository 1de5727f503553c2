"""The lessons' loss functions by name, and how model outputs become targets' shapes,
probabilities and predicted labels.

Each loss's torch function is the one its entry in :mod:`lrlab.core.loss_table` names, resolved here
(the table itself imports no torch). ``bce``, ``bce_sum`` and ``bce_clamped`` take
probabilities (a model with a sigmoid output); ``bce_logits`` and ``cross_entropy`` take raw
scores; the regression losses take a regression output. All binary losses share one objective
and differ only in scaling (``bce_sum`` sums over the batch) or numerical guarding
(``bce_clamped`` is lesson 002's own formula, below).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from pkgutil import resolve_name

import torch

from lrlab.base.errors import ConfigError
from lrlab.core.loss_table import LOSSES as TABLE

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# scores, targets -> the model's outputs, the loss, d(summed loss)/d scores
GradientFn = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


def bce_clamped(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Lesson 002's binary cross-entropy on probabilities, with logs guarded at 1e-12."""
    return -(y * p.clamp(min=1e-12).log() + (1 - y) * (1 - p).clamp(min=1e-12).log()).mean()


@cache
def get_loss(name: str) -> LossFn:
    """The loss function ``name`` (``outputs, targets -> scalar``): its table entry's ``torch``
    function, with the entry's ``options`` as keyword arguments."""
    try:
        spec = TABLE[name]
    except KeyError:
        raise ConfigError(f"unknown loss '{name}'; use one of {', '.join(TABLE)}.") from None
    function = resolve_name(spec.torch)
    return partial(function, **spec.options) if spec.options else function


@cache
def get_gradient(name: str) -> GradientFn | None:
    """The closed-form step of loss ``name`` (:mod:`lrlab.train.loss_gradients`): its table
    entry's ``gradient`` function with the entry's ``options``; None where it has none."""
    spec = TABLE[name]
    if spec.gradient is None:
        return None
    function = resolve_name(spec.gradient)
    return partial(function, **spec.options) if spec.options else function


def shape_targets(
    y: torch.Tensor, loss_name: str, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Targets as the loss expects them: int64 ``[n]`` for cross-entropy, else ``[n, 1]``."""
    if TABLE[loss_name].multiclass:
        return y.long().reshape(-1)
    return y.to(dtype).reshape(-1, 1)


def probabilities(outputs: torch.Tensor, loss_name: str) -> torch.Tensor:
    """P(y=1) ``[n]`` for the binary losses; class probabilities ``[n, k]`` for cross-entropy."""
    spec = TABLE[loss_name]
    if spec.multiclass:
        return torch.softmax(outputs, dim=1)
    if spec.binary:
        p = outputs.reshape(-1)
        return p if spec.output == "sigmoid" else torch.sigmoid(p)
    raise ConfigError(f"loss '{loss_name}' is a regression loss; it has no probabilities.")


def predict_labels(outputs: torch.Tensor, loss_name: str) -> torch.Tensor:
    """Predicted class labels (int64 ``[n]``): threshold P = 0.5, or the largest score."""
    spec = TABLE[loss_name]
    if spec.multiclass:
        return outputs.argmax(dim=1)
    if spec.threshold is None:
        raise ConfigError(f"loss '{loss_name}' is a regression loss; it predicts no labels.")
    return (outputs.reshape(-1) >= spec.threshold).long()
