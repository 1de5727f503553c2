"""The lessons' models: linear, logistic and softmax regression (one affine layer) and an MLP.

Every model is built by :func:`build_model` from a :class:`~lrlab.config.ModelConfig` and a
``torch.Generator``; initialisation draws from that generator only (never the global RNG), so
a seed fixes the initial weights bit for bit. Parameter names are plain (``linear.weight``,
``layers.0.weight``), so a checkpoint is an ordinary state dict. The NumPy model of lesson 004
(``numpy_logistic``) is stored under the same names as the torch logistic model.
"""

from __future__ import annotations

import copy
import math
from itertools import pairwise
from typing import Any

import torch
from torch import nn

from lrlab import layout
from lrlab.config import ModelConfig, VariantConfig
from lrlab.errors import ConfigError, DataError
from lrlab.loss_table import LOSSES

ACTIVATIONS = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh}
CHECKPOINT_KEYS = {"state_dict", "initial_state_dict", "config", "meta"}


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


def build_model(cfg: ModelConfig, generator: torch.Generator, draw: int = 1) -> nn.Module:
    """The model ``cfg`` describes, on the CPU, initialised from ``generator`` with its
    ``draw``-th set of initial weights (the earlier draws are taken and dropped)."""
    sigmoid_output = cfg.output == "sigmoid"
    if cfg.kind == "mlp":
        model: nn.Module = MLP(list(cfg.sizes), cfg.activation, sigmoid_output)
    else:
        model = LinearModel(cfg.sizes[0], cfg.sizes[-1], sigmoid_output)
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


# --- checkpoints ----------------------------------------------------------------------------


def cpu_state(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A detached CPU copy of a state dict (safe to keep while training goes on)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in state_dict.items()}


def make_checkpoint(
    state_dict: dict[str, torch.Tensor],
    initial_state_dict: dict[str, torch.Tensor],
    config: dict[str, Any],
    meta: dict[str, Any],
) -> dict[str, Any]:
    """The dict a model file holds: the trained and the initial weights (CPU), the variant's
    config with every model width resolved, and run metadata."""
    return {
        "state_dict": cpu_state(state_dict),
        "initial_state_dict": cpu_state(initial_state_dict),
        "config": config,
        "meta": meta,
    }


def _rerun(key: str) -> str:
    return f"Rerun `dvc repro -s train@{key}` to retrain it."


def parse_checkpoint(obj: Any, source: str, key: str) -> dict[str, Any]:
    """Check that a loaded ``models/<variant>.pt`` has the expected structure."""
    if not isinstance(obj, dict) or set(obj) != CHECKPOINT_KEYS:
        found = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise DataError(
            f"{source}: not an lrlab model file (expected a dict with keys "
            f"{sorted(CHECKPOINT_KEYS)}, found {found}). {_rerun(key)}"
        )
    for part in ("state_dict", "initial_state_dict"):
        tensors = obj[part]
        if not isinstance(tensors, dict) or not all(
            isinstance(v, torch.Tensor) for v in tensors.values()
        ):
            raise DataError(f"{source}: '{part}' is not a dict of tensors. {_rerun(key)}")
    state = obj["state_dict"]
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise DataError(
            f"{source}: {', '.join(bad)} hold nan or infinite values (the training run that "
            f"wrote it diverged). {_rerun(key)}"
        )
    return obj


def config_changes(saved: Any, now: dict[str, Any], prefix: str = "") -> list[str]:
    """``model.sizes: [8, 6, 1] in the file, [8, 4, 1] in params.yaml`` for each setting of a
    stored variant config that differs from the current one (nested keys dotted)."""
    if not isinstance(saved, dict):
        return [f"{prefix.rstrip('.') or 'config'}: {saved!r} in the file"]
    changes = []
    for name in [*now, *(k for k in saved if k not in now)]:
        old, new = saved.get(name, "(absent)"), now.get(name, "(absent)")
        if isinstance(old, dict) and isinstance(new, dict):
            changes += config_changes(old, new, f"{prefix}{name}.")
        elif old != new:
            changes.append(f"{prefix}{name}: {old!r} in the file, {new!r} in params.yaml")
    return changes


def load_weights(
    model: nn.Module, state_dict: dict[str, torch.Tensor], source: str, key: str
) -> nn.Module:
    """Load ``state_dict`` into ``model``; a different architecture is a clear ConfigError."""
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in state_dict.items()}
    if own != theirs:
        raise ConfigError(
            f"{source}: its weights {theirs} do not fit the model variants.{key}.model "
            f"describes {own}; the file was trained with another architecture. {_rerun(key)}"
        )
    model.load_state_dict(state_dict)
    return model


# --- data vs config -------------------------------------------------------------------------


def data_task(y: torch.Tensor, info: dict[str, Any]) -> str:
    """``classification`` or ``regression``, from ``info`` or the label dtype."""
    return info.get("task") or ("regression" if y.is_floating_point() else "classification")


def num_classes(y: torch.Tensor, info: dict[str, Any]) -> int:
    return int(info.get("num_classes") or (int(y.max()) + 1 if len(y) else 0))


def check_data_fits(
    key: str, variant: VariantConfig, x: torch.Tensor, y: torch.Tensor, info: dict[str, Any]
) -> None:
    """Raise ConfigError when the variant's model or loss cannot use this dataset."""
    name = layout.prepared_file("", variant.dataset).as_posix()
    sizes = list(variant.model.sizes)
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise DataError(
            f"{name}: expected features [n, d] and n labels, got {tuple(x.shape)} and "
            f"{tuple(y.shape)}. Rerun `dvc repro -f -s {layout.prepare_stage(variant.dataset)}`."
        )
    if sizes[0] != x.shape[1]:
        raise ConfigError(
            f"variants.{key}.model.sizes = {sizes} starts with input size {sizes[0]}, but "
            f"{name} has {x.shape[1]} features per sample. Set the first size to {x.shape[1]}."
        )
    for i, point in enumerate(variant.query_points):
        if len(point) != x.shape[1]:
            raise ConfigError(
                f"variants.{key}.query[{i}] = {variant.query[i]} gives {len(point)} value(s), "
                f"but {name} has {x.shape[1]} features per sample. Write each point as a list "
                f"of {x.shape[1]} numbers" + (" (or one number)." if x.shape[1] == 1 else ".")
            )
    task = data_task(y, info)
    if task != variant.task:
        fits = "mse or mse_sum" if task == "regression" else "bce, bce_logits or cross_entropy"
        raise ConfigError(
            f"variants.{key}.loss = '{variant.loss}' is a {variant.task} loss, but dataset "
            f"'{variant.dataset}' is a {task} dataset. Use loss {fits}, or another dataset."
        )
    if task == "classification":
        k = num_classes(y, info)
        multiclass = LOSSES[variant.loss].multiclass
        want = sizes[-1] if multiclass else 2
        if k != want:
            raise ConfigError(
                f"variants.{key}: loss '{variant.loss}' with model sizes {sizes} predicts "
                f"{want} classes, but dataset '{variant.dataset}' has {k}. "
                + (
                    f"Set the last of variants.{key}.model.sizes to {k}."
                    if multiclass
                    else "Use loss cross_entropy with a softmax or mlp model."
                )
            )
