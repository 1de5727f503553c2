"""Each loss's derivative in a one-layer model's scores, derived by hand as lesson 004 does.

A function here is named by its loss's ``gradient`` entry in :mod:`lrlab.core.loss_table` and
called as ``(z, targets, **options) -> (outputs, loss, dz)``: ``z`` the scores ``x Wᵀ + b``
``[batch, outputs]`` (any strides), ``targets`` as :func:`lrlab.train.losses.shape_targets`
makes them, ``options`` the entry's. ``outputs`` is what the model returns (``sigmoid(z)`` for a
sigmoid-output loss, else ``z``), ``loss`` the loss as its torch function computes it, and
``dz`` the derivative of the summed per-sample losses in ``z``: the step divides it by the
batch size for a mean. Where torch guards a log or a denominator, the derivative is the one
autograd takes through that guard, so the step equals the autograd step to float rounding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lrlab.train.losses import bce_clamped as bce_clamped_loss

Result = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
BCE_EPS = 1e-12  # binary_cross_entropy's backward divides by max(p (1 - p), 1e-12)
LOG_FLOOR = 1e-12  # bce_clamped's guard on both logs (lrlab.train.losses)


def negated_reduce(per_sample: torch.Tensor, reduction: str) -> torch.Tensor:
    """``-sum`` or ``-mean`` of a row of values as one dot product (a third of the time of
    ``mean().neg()`` for a batch of 64)."""
    scale = -1.0 if reduction == "sum" else -1.0 / per_sample.numel()
    return torch.dot(per_sample.reshape(-1), per_sample.new_full((per_sample.numel(),), scale))


def mse(z: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> Result:
    """``(z - y)²``: its derivative is ``2 (z - y)``."""
    return z, F.mse_loss(z, y, reduction=reduction), 2 * (z - y)


def huber(z: torch.Tensor, y: torch.Tensor, delta: float, reduction: str = "mean") -> Result:
    """Quadratic within ``delta`` of the target, linear beyond: the residual, clipped."""
    loss = F.huber_loss(z, y, delta=delta, reduction=reduction)
    return z, loss, (z - y).clamp_(-delta, delta)


def bce_logits(z: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> Result:
    """``log(1 + e^z) - y z``: its derivative is ``sigmoid(z) - y``."""
    loss = F.binary_cross_entropy_with_logits(z, y, reduction=reduction)
    return z, loss, torch.sigmoid(z) - y


def bce(z: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> Result:
    """Cross-entropy of ``p = sigmoid(z)``. Through ``p``: ``dL/dp = (p - y) / (p (1 - p))``,
    whose denominator torch floors at :data:`BCE_EPS`, times ``dp/dz = p (1 - p)``; that is
    ``p - y`` except where ``p`` saturates, where the floor makes it (nearly) 0."""
    p = torch.sigmoid(z)
    loss = F.binary_cross_entropy(p, y, reduction=reduction)
    slope = p * (1 - p)
    return p, loss, (p - y) * (slope / slope.clamp(min=BCE_EPS))


def bce_clamped(z: torch.Tensor, y: torch.Tensor) -> Result:
    """Lesson 002's ``-(y log p + (1 - y) log(1 - p))`` with both logs clamped at
    :data:`LOG_FLOOR`: each term's derivative ``-y (1 - p)`` and ``(1 - y) p`` (through
    ``dp/dz = p (1 - p)``) is 0 where its clamp holds the log constant."""
    p = torch.sigmoid(z)
    q = 1 - p
    dz = (1 - y) * p * (q > LOG_FLOOR) - y * q * (p > LOG_FLOOR)
    return p, bce_clamped_loss(p, y), dz


def cross_entropy(z: torch.Tensor, labels: torch.Tensor, reduction: str = "mean") -> Result:
    """``-log softmax(z)_y``: its derivative is ``softmax(z) - onehot(y)``. Computed on
    ``zᵀ`` (classes × batch), which is contiguous as the closed-form step lays scores out."""
    log_p = torch.log_softmax(z.t(), 0)
    picked = labels.unsqueeze(0)
    loss = negated_reduce(log_p.gather(0, picked), reduction)
    dz = log_p.exp_().scatter_(0, picked, -1.0, reduce="add")
    return z, loss, dz.t()
