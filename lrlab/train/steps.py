"""The per-batch training step, chosen once per run: closed form or autograd.

A step is called as ``step(x, targets) -> (loss, outputs)`` for one batch: it updates the model
in place and returns the batch's loss (a 0-d tensor on the device) and the model's outputs for
that batch, as the model returns them, both without a graph. lrlab's one-layer models take the
closed-form step of :mod:`lrlab.train.closed_form` when their loss has one (every loss of
:mod:`lrlab.core.loss_table` does today); an MLP, or a loss without one, takes the autograd
step: forward, backward and a ``torch.optim`` optimizer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from lrlab.base.errors import ConfigError
from lrlab.core.config import OptimizerConfig
from lrlab.train.closed_form import closed_form_step
from lrlab.train.losses import LossFn, get_loss
from lrlab.train.torch_internals import optimizer_step, skip_compile_hooks

Step = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def make_optimizer(params: Iterable[nn.Parameter], cfg: OptimizerConfig) -> torch.optim.Optimizer:
    """SGD (with momentum and weight decay) or Adam, using the multi-tensor ``foreach`` path."""
    skip_compile_hooks()
    if cfg.name == "sgd":
        return torch.optim.SGD(
            params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, foreach=True
        )
    if cfg.name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)
    raise ConfigError(f"unknown optimizer '{cfg.name}'; use 'sgd' or 'adam'.")


class AutogradStep:
    """Forward, the loss, backward and ``optimizer``'s step."""

    def __init__(self, model: nn.Module, loss_fn: LossFn, optimizer: torch.optim.Optimizer):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.update = optimizer_step(optimizer)

    def __call__(self, x: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model(x)
        loss = self.loss_fn(out, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.update()
        return loss.detach(), out.detach()


def make_step(
    model: nn.Module,
    loss_name: str,
    cfg: OptimizerConfig,
    optimizer: torch.optim.Optimizer | None = None,
) -> Step:
    """The step that trains ``model`` on ``loss_name`` with ``cfg``: the closed form where
    :func:`~lrlab.train.closed_form.closed_form_step` has one and no ``optimizer`` is given,
    else autograd with ``optimizer`` (default: :func:`make_optimizer`)."""
    if optimizer is None and (step := closed_form_step(model, loss_name, cfg)) is not None:
        return step
    optimizer = optimizer or make_optimizer(model.parameters(), cfg)
    return AutogradStep(model, get_loss(loss_name), optimizer)
