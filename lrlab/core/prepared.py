"""The prepared-dataset container that ``prepare`` writes and every later stage reads.

On disk, ``data/prepared/<name>.npz`` is an uncompressed NumPy archive of plain numeric
arrays plus ``info`` as a JSON string. It is read with ``allow_pickle=False`` (no object
arrays, so no code can run) and without torch, so the stages that only need arrays start in
a fraction of a second; ``info`` is also written beside it as ``<name>.json`` for people and
for the plots. Stages that train or evaluate turn the arrays into tensors with
``data.map(torch.from_numpy)``.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lrlab.base.errors import DataError
from lrlab.base.io import atomic_open

ARRAYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class PreparedData:
    """Features ``x_*`` are float32 ``[n, d]``; targets ``y_*`` are int64 class labels
    ``[n]`` for classification or float32 ``[n]`` for regression. ``x_test``/``y_test`` are
    ``None`` when the dataset has no test split. ``info`` holds ``name``, ``task``
    (``"classification"``/``"regression"``), ``num_classes``, ``shapes``, ``class_counts``,
    ``normalization`` and dataset-specific extras (``class_names``, ``true_weight``,
    ``feature_scale``). The arrays are NumPy arrays as loaded, tensors after :meth:`map`."""

    x_train: Any
    y_train: Any
    x_test: Any | None
    y_test: Any | None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def has_test(self) -> bool:
        return self.x_test is not None

    def arrays(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ARRAYS if getattr(self, k) is not None}

    def map(self, fn: Callable[[Any], Any]) -> PreparedData:
        """The same dataset with ``fn`` applied to each array (``torch.from_numpy``, say)."""
        arrays = (getattr(self, k) for k in ARRAYS)
        return PreparedData(*(None if a is None else fn(a) for a in arrays), info=self.info)


def save_prepared(path: str | os.PathLike[str], data: PreparedData) -> None:
    """Write ``data`` to ``path`` atomically as an uncompressed ``.npz``."""
    arrays = {k: np.ascontiguousarray(v) for k, v in data.arrays().items()}
    info = np.array(json.dumps(data.info, sort_keys=True, allow_nan=False))
    with atomic_open(path, "wb") as handle:
        np.savez(handle, info=info, **arrays)


def load_prepared(path: str | os.PathLike[str], stage: str | None = None) -> PreparedData:
    """Read ``data/prepared/<name>.npz`` safely (``allow_pickle=False``) and check its layout
    and every member's CRC-32; an error names ``stage``, the stage that rebuilds the file."""
    fix = f"Rerun `dvc repro -s {stage}`" if stage else "Rerun `dvc repro`"
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise DataError(f"{path}: not found. {fix[2:].capitalize()} to prepare it.") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        if "allow_pickle" in str(exc):
            reason = "it holds pickled Python objects, which lrlab refuses (allow_pickle=False)"
        else:
            detail = str(exc).split("\n")[0][:120]
            reason = f"damaged or not a NumPy .npz archive ({type(exc).__name__}: {detail})"
        raise DataError(
            f"{path}: cannot be read as a prepared dataset: {reason}. {fix} to rebuild it."
        ) from None
    return _from_contents(contents, str(path), fix)


def _from_contents(contents: dict[str, np.ndarray], source: str, fix: str) -> PreparedData:
    required = {"info", "x_train", "y_train"}
    unknown = set(contents) - {"info", *ARRAYS}
    if not required <= set(contents) or unknown or ("x_test" in contents) != ("y_test" in contents):
        raise DataError(
            f"{source}: not a prepared dataset (expected arrays {sorted(required)}, optionally "
            f"x_test and y_test; found {sorted(contents)}). {fix} to rebuild it."
        )
    try:
        info = json.loads(str(contents.pop("info")))
    except json.JSONDecodeError:
        info = None
    if not isinstance(info, dict):
        raise DataError(f"{source}: its 'info' entry is not a JSON object. {fix} to rebuild it.")
    for name, array in contents.items():
        if array.dtype.kind not in "fiub":
            raise DataError(
                f"{source}: array '{name}' has dtype {array.dtype}, not numbers. {fix} to "
                "rebuild it."
            )
    return PreparedData(**{k: contents.get(k) for k in ARRAYS}, info=info)
