"""Plain NumPy views of saved models, so figures can evaluate them without rebuilding modules.

A checkpoint's ``state_dict`` is walked in order: every 2-D tensor is a layer's weight
``[out, in]`` and the 1-D tensor that follows it with ``out`` entries is its bias. Key
names are not relied upon, so any stack of linear layers (linear, logistic, softmax
regression or an MLP) reads the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lrlab.base.errors import LrlabError

Layer = tuple[np.ndarray, np.ndarray]


def linear_layers(state_dict: Mapping[str, Any], source: str = "model") -> list[Layer]:
    """``[(weight [out, in], bias [out]), ...]`` in forward order, as float64 arrays."""
    layers: list[Layer] = []
    pending: np.ndarray | None = None
    for key, value in state_dict.items():
        arr = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value, float)
        if arr.ndim == 2:
            if pending is not None:
                layers.append((pending, np.zeros(pending.shape[0])))
            pending = arr
        elif arr.ndim == 1 and pending is not None and arr.shape[0] == pending.shape[0]:
            layers.append((pending, arr))
            pending = None
        elif arr.ndim not in (0, 1):
            raise LrlabError(f"{source}: tensor '{key}' has shape {arr.shape}; not a linear layer")
    if pending is not None:
        layers.append((pending, np.zeros(pending.shape[0])))
    if not layers:
        raise LrlabError(f"{source}: no linear layer (2-D weight tensor) in the state dict")
    for (w_prev, _), (w_next, _) in zip(layers, layers[1:], strict=False):
        if w_next.shape[1] != w_prev.shape[0]:
            raise LrlabError(
                f"{source}: layer widths do not chain ({w_prev.shape} then {w_next.shape})"
            )
    return layers


def single_linear(state_dict: Mapping[str, Any], source: str = "model") -> Layer:
    """The one linear layer of a linear, logistic or softmax regression model."""
    layers = linear_layers(state_dict, source)
    if len(layers) != 1:
        raise LrlabError(f"{source}: expected one linear layer, found {len(layers)}")
    return layers[0]


_ACTIVATIONS = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
}


def forward(layers: list[Layer], x: np.ndarray, activation: str = "sigmoid") -> np.ndarray:
    """Raw outputs (logits, or regression values) of the layer stack on ``x [n, in]``.

    ``activation`` is applied between layers, never after the last one.
    """
    h = np.asarray(x, dtype=float)
    act = _ACTIVATIONS[activation]
    for index, (weight, bias) in enumerate(layers):
        h = h @ weight.T + bias
        if index < len(layers) - 1:
            h = act(h)
    return h


def predict_classes(layers: list[Layer], x: np.ndarray, activation: str = "sigmoid") -> np.ndarray:
    """Class indices: ``logit > 0`` for one output, ``argmax`` for several."""
    out = forward(layers, x, activation)
    return (out[:, 0] > 0).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
