"""The model file, ``models/<variant>.pt``: what it holds (:func:`make_checkpoint`), and reading
one back (:func:`read_model_file`, weights-only, CRC-checked) with the check that it has that
shape (:func:`parse_checkpoint`).

A model file stands alone: besides the weights it holds the variant's resolved config, run
metadata, the recipe that turns raw rows or images into the model's input (``inputs``,
:mod:`lrlab.core.inputs`) and ``about``: the variant's name, the lrlab version and git commit
that trained it, and its metrics (None until it is evaluated). ``format`` counts the changes
of this layout; a file of another format is refused with what to do.
"""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from lrlab.base.errors import DataError
from lrlab.base.io import UnreadableTorchFile, load_torch

FORMAT = 2
CHECKPOINT_KEYS = {
    "format",
    "state_dict",
    "initial_state_dict",
    "config",
    "meta",
    "inputs",
    "about",
}
INPUT_KEYS = {
    "table": {"columns", "target", "categories", "missing", "mean", "std"},
    "image": {"shape", "mean", "std"},
}
COMMON_INPUT_KEYS = {"kind", "dataset", "task", "class_names"}
ABOUT_KEYS = {"variant", "lrlab_version", "git_commit", "metrics"}


def rerun(key: str) -> str:
    """The sentence that tells how to rewrite ``models/<key>.pt``."""
    return f"Rerun `dvc repro -s train@{key}` to retrain it."


def cpu_state(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A detached CPU copy of a state dict (safe to keep while training goes on)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in state_dict.items()}


def provenance(root: Path) -> dict[str, str | None]:
    """The installed lrlab's version and the commit checked out at ``root`` (None outside a
    git repository, or without git)."""
    try:
        version: str | None = metadata.version("lrlab")
    except metadata.PackageNotFoundError:
        version = None
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "-q", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        )
        commit = done.stdout.strip() if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"lrlab_version": version, "git_commit": commit or None}


def make_checkpoint(
    state_dict: dict[str, torch.Tensor],
    initial_state_dict: dict[str, torch.Tensor],
    config: dict[str, Any],
    meta: dict[str, Any],
    inputs: dict[str, Any],
    about: dict[str, Any],
) -> dict[str, Any]:
    """The dict a model file holds: the trained and the initial weights (CPU), the variant's
    config with every model width resolved, run metadata, the input recipe and ``about``."""
    return {
        "format": FORMAT,
        "state_dict": cpu_state(state_dict),
        "initial_state_dict": cpu_state(initial_state_dict),
        "config": config,
        "meta": meta,
        "inputs": inputs,
        "about": {"metrics": None, **about},
    }


def read_model_file(path: Path, key: str, shown: str | None = None) -> dict[str, Any]:
    """``models/<key>.pt`` read weights-only (tensors and plain data, never code), its CRCs
    checked, then :func:`parse_checkpoint`; every problem is a DataError that says what to do,
    naming the file ``shown`` (default: ``path``)."""
    shown = shown or str(path)
    try:
        obj = load_torch(path)
    except FileNotFoundError:
        raise DataError(f"{shown}: model file not found. {rerun(key)}") from None
    except IsADirectoryError:
        raise DataError(f"{shown}: is a folder, not a model file.") from None
    except PermissionError as exc:
        raise DataError(f"{shown}: cannot be read ({exc.strerror}).") from None
    except UnreadableTorchFile as exc:
        why = " Model files hold only tensors and plain data." if "pickled" in str(exc) else ""
        raise DataError(
            f"{shown}: refused or unreadable as a weights-only model file: {exc}.{why} {rerun(key)}"
        ) from None
    return parse_checkpoint(obj, shown, key)


def _lacking(part: Any, keys: set[str]) -> list[str]:
    return sorted(keys - set(part)) if isinstance(part, dict) else sorted(keys)


def parse_checkpoint(obj: Any, source: str, key: str) -> dict[str, Any]:
    """Check that a loaded ``models/<variant>.pt`` has the expected structure."""
    if not isinstance(obj, dict) or "state_dict" not in obj:
        found = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise DataError(
            f"{source}: not an lrlab model file (expected a dict with keys "
            f"{sorted(CHECKPOINT_KEYS)}, found {found}). {rerun(key)}"
        )
    inputs, about = obj.get("inputs"), obj.get("about")
    lacking = _lacking(obj, CHECKPOINT_KEYS)  # the parts first, then what they hold
    if not lacking:
        kind = inputs.get("kind") if isinstance(inputs, dict) else None
        wanted = COMMON_INPUT_KEYS | INPUT_KEYS.get(kind, set())
        lacking = [f"inputs.{k}" for k in _lacking(inputs, wanted)]
        lacking += [f"about.{k}" for k in _lacking(about, ABOUT_KEYS)]
    if lacking or obj.get("format") != FORMAT:
        version = about.get("lrlab_version") if isinstance(about, dict) else None
        by = f"lrlab {version}" if version else "an older lrlab"
        what = f"it lacks {', '.join(lacking)}" if lacking else f"its format is {obj['format']!r}"
        raise DataError(
            f"{source}: written by {by}, not in this lrlab's model format {FORMAT} ({what}). "
            f"{rerun(key)}"
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
