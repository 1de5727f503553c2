"""The lessons' models: linear, logistic and softmax regression (one affine layer) and an MLP.

Every model is built by :func:`build_model` from a :class:`~lrlab.core.config.ModelConfig` and a
``torch.Generator``; initialisation draws from that generator only (never the global RNG), so
a seed fixes the initial weights bit for bit. Parameter names are plain (``linear.weight``,
``layers.0.weight``), so a checkpoint is an ordinary state dict. The NumPy model of lesson 004
(``numpy_logistic``) is stored under the same names as the torch logistic model.
"""

from __future__ import annotations

import copy
import math
from itertools import pairwise
from pkgutil import resolve_name
from typing import TYPE_CHECKING

import torch
from torch import nn

from lrlab.base.errors import ConfigError
from lrlab.core.model_file import rerun
from lrlab.core.model_kinds import KINDS

if TYPE_CHECKING:
    from lrlab.core.config import ModelConfig

ACTIVATIONS = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh}


class Affine(nn.Linear):
    """``nn.Linear`` left uninitialised: :func:`build_model` initialises every layer from its
    own generator (``nn.utils.skip_init`` does the same via the meta device, ~0.2 s slower)."""

    def reset_parameters(self) -> None:
        pass


class LinearModel(nn.Module):
    """``z = x Wᵀ + b``, optionally followed by a sigmoid (logistic regression's P(y=1))."""

    def __init__(self, n_in: int, n_out: int, sigmoid_output: bool = False) -> None:
        super().__init__()
        self.linear = Affine(n_in, n_out)
        self.sigmoid_output = sigmoid_output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.linear(x)
        return torch.sigmoid(z) if self.sigmoid_output else z


class MLP(nn.Module):
    """Affine layers of widths ``sizes`` with ``activation`` between them."""

    def __init__(self, sizes: list[int], activation: str, sigmoid_output: bool = False) -> None:
        super().__init__()
        self.layers = nn.ModuleList(Affine(a, b) for a, b in pairwise(sizes))
        self.activation = activation
        self.sigmoid_output = sigmoid_output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = ACTIVATIONS[self.activation]
        for layer in self.layers[:-1]:
            x = act(layer(x))
        x = self.layers[-1](x)
        return torch.sigmoid(x) if self.sigmoid_output else x


@torch.no_grad()
def init_default_(layer: nn.Linear, generator: torch.Generator) -> None:
    """``nn.Linear``'s own initialisation, drawn from ``generator``."""
    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
    bound = 1.0 / math.sqrt(layer.in_features)
    nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


@torch.no_grad()
def init_randn_zero_(layer: nn.Linear, generator: torch.Generator) -> None:
    """Lesson 002: ``w ~ randn``, ``b = 0``."""
    layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator))
    layer.bias.zero_()


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def one_layer(cfg: ModelConfig) -> nn.Module:
    """A linear, logistic or softmax model: one affine layer, uninitialised."""
    return LinearModel(cfg.sizes[0], cfg.sizes[-1], cfg.output == "sigmoid")


def mlp(cfg: ModelConfig) -> nn.Module:
    """An MLP of ``cfg.sizes``, uninitialised."""
    return MLP(list(cfg.sizes), cfg.activation, cfg.output == "sigmoid")


def build_model(cfg: ModelConfig, generator: torch.Generator, draw: int = 1) -> nn.Module:
    """The model ``cfg`` describes (its kind's builder, :mod:`lrlab.core.model_kinds`), on the CPU,
    initialised from ``generator`` with its ``draw``-th set of initial weights (the earlier
    draws are taken and dropped)."""
    model: nn.Module = resolve_name(KINDS[cfg.kind].builder)(cfg)
    init = init_randn_zero_ if cfg.init == "randn_zero" else init_default_
    for _ in range(draw):
        for layer in linear_layers(model):
            init(layer, generator)
    return model


def single_layer(model: nn.Module) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(weight, bias)`` of a one-layer model, or ``None`` for an MLP."""
    layers = linear_layers(model)
    if len(layers) != 1:
        return None
    return layers[0].weight.detach(), layers[0].bias.detach()


def stacked_forward(
    cfg: ModelConfig, layers: list[tuple[torch.Tensor, torch.Tensor]], x: torch.Tensor
) -> torch.Tensor:
    """Outputs ``[N, n, out]`` of N models built from ``cfg`` at once, for shared inputs ``x``
    ``[n, in]``: layer ``l`` of model ``i`` has weight ``layers[l][0][i]`` ``[out, in]`` and
    bias ``layers[l][1][i]``. The same computation as :class:`LinearModel` and :class:`MLP`,
    laid out features-first (``[N, width, n]``): for narrow layers a batched ``W h`` takes
    about half the time of a batched ``x Wᵀ``."""
    (weight, bias), rest = layers[0], layers[1:]
    n_models, width, n_in = weight.shape
    h = (weight.reshape(-1, n_in) @ x.T).reshape(n_models, width, -1) + bias.unsqueeze(2)
    for weight, bias in rest:  # only an mlp has more than one layer
        h = torch.baddbmm(bias.unsqueeze(2), weight, ACTIVATIONS[cfg.activation](h))
    h = h.transpose(1, 2)
    return torch.sigmoid(h) if cfg.output == "sigmoid" else h


@torch.inference_mode()
def forward_in_batches(
    model: nn.Module, x: torch.Tensor, batch_size: int = 8192, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """``model(x)`` in batches, in ``dtype`` (float64 by default for exact metrics), on a copy
    of ``model`` in eval mode, so the caller's model is left as it was."""
    model = copy.deepcopy(model).to(dtype).eval()
    parts = [model(x[i : i + batch_size].to(dtype)) for i in range(0, len(x), batch_size)]
    return torch.cat(parts) if parts else torch.empty(0, dtype=dtype)


def load_weights(
    model: nn.Module, state_dict: dict[str, torch.Tensor], source: str, key: str
) -> nn.Module:
    """Load ``state_dict`` into ``model``; a different architecture is a clear ConfigError."""
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in state_dict.items()}
    if own != theirs:
        raise ConfigError(
            f"{source}: its weights {theirs} do not fit the model variants.{key}.model "
            f"describes {own}; the file was trained with another architecture. {rerun(key)}"
        )
    model.load_state_dict(state_dict)
    return model
