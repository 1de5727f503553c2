"""The closed-form training step of a one-layer model: no autograd, a few tensor operations.

For ``z = x Wᵀ + b`` and a loss whose derivative ``dz`` in the scores its table entry names
(:mod:`lrlab.train.loss_gradients`), the gradients are ``dzᵀ x`` for ``W`` and the column sums
of ``dz`` for ``b``, divided by the batch size for a mean. The scores are computed as
``(W xᵀ + b)ᵀ`` and the gradients as ``dzᵀ x`` and ``dzᵀ 1``, the layout in which both matrix
products are fastest for the lessons' few outputs. The optimizers follow
``torch.optim.SGD`` (momentum, no dampening or Nesterov) and ``torch.optim.Adam`` (default
betas and eps) as lrlab configures them, weight decay ``λ p`` included for the bias too; their
state (momentum buffer, Adam moments) is kept here as plain tensors. The step updates the
model's own ``weight`` and ``bias`` in place, so everything after training sees the model as
autograd would have left it, up to float rounding.
"""

from __future__ import annotations

import torch
from torch import nn

from lrlab.base.errors import ConfigError
from lrlab.core.config import OptimizerConfig
from lrlab.core.loss_table import LOSSES
from lrlab.train.losses import GradientFn, get_gradient
from lrlab.train.models import LinearModel

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults, as lrlab uses it


class ClosedFormStep:
    """One batch's training step: ``step(x, targets) -> (loss, outputs)``, as the autograd
    step returns them (:mod:`lrlab.train.steps`)."""

    def __init__(
        self, layer: nn.Linear, gradient: GradientFn, summed: bool, cfg: OptimizerConfig
    ) -> None:
        # detached views share the parameters' storage: updating them updates the model
        self.weight, self.bias = layer.weight.detach(), layer.bias.detach()
        self.bias_column = self.bias.unsqueeze(1)
        self.gradient, self.summed, self.decay = gradient, summed, cfg.weight_decay
        self.params = [self.weight, self.bias]
        self.grads = [torch.empty_like(p) for p in self.params]
        self.ones = torch.ones(0, dtype=self.weight.dtype, device=self.weight.device)
        self.update = update_rule(cfg, self.params)

    def __call__(self, x: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.addmm(self.bias_column, self.weight, x.t()).t()
        outputs, loss, dz = self.gradient(z, targets)
        rows = len(x)
        scale = 1.0 if self.summed else 1.0 / rows
        ones = self.ones if len(self.ones) == rows else self.ones_for(rows)
        grad_w, grad_b = self.grads
        dz_t = dz.t()
        # beta=0: the product alone, into the buffer; adding it to W inside the product
        # (W.addmm_) would round each partial sum at the scale of W, several times worse
        torch.addmm(grad_w, dz_t, x, beta=0, alpha=scale, out=grad_w)
        torch.addmv(grad_b, dz_t, ones, beta=0, alpha=scale, out=grad_b)
        if self.decay:  # torch's weight decay: g + λ p, bias included
            grad_w.add_(self.weight, alpha=self.decay)
            grad_b.add_(self.bias, alpha=self.decay)
        self.update(self.params, self.grads)
        return loss, outputs

    def ones_for(self, n: int) -> torch.Tensor:
        """A vector of ``n`` ones (the bias gradient is ``dzᵀ 1``): the full batch's, kept
        from the first batch on; a shorter last batch takes a slice of it."""
        if len(self.ones) < n:
            self.ones = self.ones.new_ones(n)
        return self.ones[:n]


def closed_form_step(
    model: nn.Module, loss_name: str, cfg: OptimizerConfig
) -> ClosedFormStep | None:
    """The closed-form step of ``model`` trained on ``loss_name``, or None where there is none:
    a model other than lrlab's one-layer model (an MLP keeps autograd), a loss without a
    ``gradient`` entry, or an output the loss does not take."""
    spec, gradient = LOSSES[loss_name], get_gradient(loss_name)
    if not isinstance(model, LinearModel) or gradient is None:
        return None
    if model.sigmoid_output != (spec.output == "sigmoid"):
        return None
    return ClosedFormStep(model.linear, gradient, spec.summed, cfg)


def update_rule(cfg: OptimizerConfig, params: list[torch.Tensor]):
    """The optimizer of ``cfg`` as a function ``(params, grads)`` that applies it in place."""
    if cfg.name == "sgd" and not cfg.momentum:
        return PlainSGD(cfg)
    if cfg.name == "sgd":
        return Momentum(cfg)
    if cfg.name == "adam":
        return Adam(cfg, params)
    raise ConfigError(f"unknown optimizer '{cfg.name}'; use 'sgd' or 'adam'.")


class PlainSGD:
    """``p ← p - lr g``."""

    def __init__(self, cfg: OptimizerConfig) -> None:
        self.lr = cfg.lr

    def __call__(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        for p, g in zip(params, grads, strict=True):
            p.add_(g, alpha=-self.lr)


class Momentum:
    """``buf ← m buf + g`` (the first step: ``buf = g``), then ``p ← p - lr buf``."""

    def __init__(self, cfg: OptimizerConfig) -> None:
        self.lr, self.momentum = cfg.lr, cfg.momentum
        self.buffers: list[torch.Tensor] | None = None

    def __call__(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        if self.buffers is None:
            self.buffers = [g.clone() for g in grads]
        else:
            for buf, g in zip(self.buffers, grads, strict=True):
                buf.mul_(self.momentum).add_(g)
        for p, buf in zip(params, self.buffers, strict=True):
            p.add_(buf, alpha=-self.lr)


class Adam:
    """torch's Adam: moments ``m ← m + (1 - β₁)(g - m)``, ``v ← β₂ v + (1 - β₂) g²``, then
    ``p ← p - lr / (1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + ε)``, in torch's order of operations."""

    def __init__(self, cfg: OptimizerConfig, params: list[torch.Tensor]) -> None:
        self.lr, self.steps = cfg.lr, 0
        self.moments = [torch.zeros_like(p) for p in params]
        self.squares = [torch.zeros_like(p) for p in params]

    def __call__(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        (beta1, beta2), self.steps = ADAM_BETAS, self.steps + 1
        step_size = (self.lr / (1 - beta1**self.steps)) * -1
        root_correction = (1 - beta2**self.steps) ** 0.5
        for p, g, m, v in zip(params, grads, self.moments, self.squares, strict=True):
            m.lerp_(g, 1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            p.addcdiv_(m, v.sqrt().div_(root_correction).add_(ADAM_EPS), value=step_size)
