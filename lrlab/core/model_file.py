"""The model file, ``models/<variant>.pt``: what it holds (:func:`make_checkpoint`) and the
check that a loaded one has that shape (:func:`parse_checkpoint`). Files are read with
:func:`lrlab.base.io.load_torch` (``weights_only=True``)."""

from __future__ import annotations

from typing import Any

import torch

from lrlab.base.errors import DataError

CHECKPOINT_KEYS = {"state_dict", "initial_state_dict", "config", "meta"}


def rerun(key: str) -> str:
    """The sentence that tells how to rewrite ``models/<key>.pt``."""
    return f"Rerun `dvc repro -s train@{key}` to retrain it."


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


def parse_checkpoint(obj: Any, source: str, key: str) -> dict[str, Any]:
    """Check that a loaded ``models/<variant>.pt`` has the expected structure."""
    if not isinstance(obj, dict) or set(obj) != CHECKPOINT_KEYS:
        found = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise DataError(
            f"{source}: not an lrlab model file (expected a dict with keys "
            f"{sorted(CHECKPOINT_KEYS)}, found {found}). {rerun(key)}"
        )
    for part in ("state_dict", "initial_state_dict"):
        tensors = obj[part]
        if not isinstance(tensors, dict) or not all(
            isinstance(v, torch.Tensor) for v in tensors.values()
        ):
            raise DataError(f"{source}: '{part}' is not a dict of tensors. {rerun(key)}")
    state = obj["state_dict"]
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise DataError(
            f"{source}: {', '.join(bad)} hold nan or infinite values (the training run that "
            f"wrote it diverged). {rerun(key)}"
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
