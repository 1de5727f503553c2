"""One variant trained under many seeds at once: the spread its headline numbers have.

A full-batch variant's seed enters only its initial weights (there is nothing to shuffle), so
N seeds are N copies of one training run from N starting points. They train together: each
layer's weights stacked over the copies, the forward pass batched
(:func:`lrlab.train.models.stacked_forward`) and each copy's loss taken with ``torch.func.vmap``.
The summed loss's gradient is each copy's own gradient, and SGD and Adam act element by
element, so every copy takes the steps it would take alone (to rounding: a batched matrix
product sums in another order). Each trained copy is then scored by
:func:`lrlab.train.metrics.evaluate`, like the variant itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.func import vmap
from tqdm.auto import tqdm

from lrlab.core.config import VariantConfig
from lrlab.core.prepared import PreparedData
from lrlab.train.losses import get_loss, shape_targets
from lrlab.train.metrics import evaluate
from lrlab.train.models import build_model, linear_layers, stacked_forward
from lrlab.train.torch_internals import optimizer_step
from lrlab.train.training import PROGRESS_MIN_STEPS, make_optimizer

SWEPT = ("train", "test", "query")  # metrics sections recorded per seed, flattened


def build_models(variant: VariantConfig, seeds: Sequence[int]) -> list[nn.Module]:
    """The variant's model as training at each seed starts it (``seed + seed_offset = s``)."""
    return [
        build_model(variant.model, torch.Generator().manual_seed(s), variant.init_draw)
        for s in seeds
    ]


def train_stacked(
    models: list[nn.Module], variant: VariantConfig, x: torch.Tensor, y: torch.Tensor
) -> None:
    """Train every model of ``models`` (built from ``variant.model``, on ``x``'s device) in
    place, full batch, for the variant's epochs; a copy that diverges ends non-finite."""
    per_model = [linear_layers(m) for m in models]
    layers = [
        (
            torch.stack([m[i].weight.detach() for m in per_model]).requires_grad_(),
            torch.stack([m[i].bias.detach() for m in per_model]).requires_grad_(),
        )
        for i in range(len(per_model[0]))
    ]
    losses = vmap(get_loss(variant.loss), in_dims=(0, None))
    targets = shape_targets(y, variant.loss, x.dtype)
    optimizer = make_optimizer([p for pair in layers for p in pair], variant.optimizer)
    step = optimizer_step(optimizer)
    show = variant.epochs * len(models) >= 100 * PROGRESS_MIN_STEPS
    for _ in tqdm(range(variant.epochs), desc="seeds", unit="epoch", disable=not show, leave=False):
        loss = losses(stacked_forward(variant.model, layers, x), targets).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        step()
    with torch.no_grad():
        for i, model_layers in enumerate(per_model):
            for layer, (weight, bias) in zip(model_layers, layers, strict=True):
                layer.weight.copy_(weight[i])
                layer.bias.copy_(bias[i])


def flat_numbers(metrics: dict[str, Any]) -> dict[str, float]:
    """``{"train.loss": ..., "query.x=0.5": ...}`` for the sections in :data:`SWEPT`."""
    return {
        f"{section}.{name}": float(value)
        for section in SWEPT
        for name, value in (metrics.get(section) or {}).items()
        if isinstance(value, int | float)
    }


def scores(model: nn.Module, variant: VariantConfig, data: PreparedData) -> dict | None:
    """The model's flattened metrics, non-finite ones as None; None when its weights are."""
    if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
        return None
    row = flat_numbers(evaluate(model, variant, data, {}, {})[0])
    return {k: v if math.isfinite(v) else None for k, v in row.items()}


def sweep(variant: VariantConfig, data: PreparedData, seeds: Sequence[int]) -> dict[str, Any]:
    """Train ``variant`` (resolved for ``data``, tensors on the CPU) at each of ``seeds``:
    ``{"seeds", "values": {"train.loss": [one per seed], ...}, "diverged"}``, a value None
    where that seed's run diverged (no seeds: empty lists)."""
    if not seeds:
        return {"seeds": [], "values": {}, "diverged": 0}
    models = build_models(variant, seeds)
    train_stacked(models, variant, data.x_train, data.y_train)
    rows = [scores(model, variant, data) for model in models]
    keys = sorted({key for row in rows if row is not None for key in row})
    return {
        "seeds": list(seeds),
        "values": {key: [None if row is None else row.get(key) for row in rows] for key in keys},
        "diverged": sum(row is None for row in rows),
    }
