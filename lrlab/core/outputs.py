"""Checked reads of pipeline outputs (metrics JSON, history and predictions CSVs).

Every missing or malformed file stops with a :class:`~lrlab.base.errors.LrlabError` naming the
file, what is wrong and the stage to rerun, never a traceback from the csv or json modules.
No torch or pandas here: the report and the gate read these files too.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from lrlab.base import layout
from lrlab.base.errors import LrlabError
from lrlab.base.io import file_sha256


def require(path: Path, root: Path, stage: str) -> Path:
    """``path``, or an error naming the missing file and the stage that writes it."""
    if not path.is_file():
        rel = layout.relative(root, path)
        raise LrlabError(f"{rel}: not found. It is written by `{stage}`; run `dvc repro`.")
    return path


def read_json_object(path: Path, root: Path, stage: str) -> dict[str, Any]:
    """The JSON object in ``path``, written by ``stage``."""
    require(path, root, stage)
    rel, fix = layout.relative(root, path), f"Rerun `dvc repro -s {stage}`."
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LrlabError(f"{rel}: not valid JSON ({exc}). {fix}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LrlabError(f"{rel}: not valid JSON ({exc}). {fix}") from None
    if not isinstance(data, dict):
        raise LrlabError(f"{rel}: expected a JSON object. {fix}")
    return data


def read_metrics(root: Path, key: str) -> dict[str, Any]:
    """The metrics dict of variant ``key``."""
    return read_json_object(layout.metrics_file(root, key), root, f"train@{key}")


def read_reference(root: Path, key: str, loss: str, n_train: int) -> dict[str, Any]:
    """The reference of variant ``key``, which must be for ``loss`` on ``n_train`` rows."""
    path, stage = layout.reference_file(root, key), f"reference@{key}"
    reference = read_json_object(path, root, stage)
    found = (reference.get("loss"), reference.get("n_train"), reference.get("train_loss"))
    if found[:2] != (loss, n_train) or not isinstance(found[2], int | float):
        raise LrlabError(
            f"{layout.relative(root, path)}: a reference for loss {found[0]!r} on "
            f"{found[1]!r} training rows, but variants.{key} now trains loss {loss!r} on "
            f"{n_train} rows. Rerun `dvc repro -s {stage}` (or `dvc repro`)."
        )
    return reference


def read_columns(path: Path, root: Path, stage: str, required: tuple[str, ...]) -> dict:
    """A numeric CSV with a header as ``{column: float64 array}``; ``required`` columns and at
    least one row must be present, and every cell must be a number."""
    rel, fix = layout.relative(root, require(path, root, stage)), f"Rerun `dvc repro -s {stage}`."
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LrlabError(f"{rel}: not a readable CSV ({exc}). {fix}") from None
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    missing = [c for c in required if c not in header]
    if missing or not body:
        raise LrlabError(
            f"{rel}: expected columns {list(required)} and at least one row; found columns "
            f"{header}, {len(body)} rows. {fix}"
        )
    columns: dict[str, np.ndarray] = {}
    for j, name in enumerate(header):
        values = []
        for i, row in enumerate(body, start=2):
            cell = row[j] if j < len(row) else ""
            try:
                values.append(float(cell) if cell != "" else math.nan)
            except ValueError:
                raise LrlabError(
                    f"{rel}, line {i}: column '{name}' holds {cell!r}, not a number. {fix}"
                ) from None
        columns[name] = np.asarray(values, dtype=np.float64)
    return columns


HISTORY_COLUMNS = ("epoch", "train_loss", "train_accuracy", "test_accuracy")  # first, always:
# dvc.yaml plots the last three, and DVC drops a file's chart if a field it plots is missing,
# so a history has them all, nan where there is nothing (a regression's accuracy; vega skips
# nan, while it would draw an empty cell as 0)


def read_history(root: Path, key: str, sha256: str | None = None) -> dict[str, np.ndarray]:
    """Per-epoch ``epoch``, ``train_loss`` (and ``train_accuracy`` for classifiers, and
    ``test_accuracy`` where recorded: a column with no value is left out); with ``sha256``
    (what train recorded in the model file), the file must have that digest."""
    path = layout.history_file(root, key)
    stage = f"train@{key}"
    if sha256 is not None and file_sha256(require(path, root, stage)) != sha256:
        model = layout.relative(root, layout.model_file(root, key))
        raise LrlabError(
            f"{layout.relative(root, path)}: damaged or changed since training: its SHA-256 "
            f"differs from the one {stage} recorded in {model}. Rerun `dvc repro -s {stage}`."
        )
    columns = read_columns(path, root, stage, HISTORY_COLUMNS[:2])
    return {k: v for k, v in columns.items() if k in HISTORY_COLUMNS[:2] or not np.isnan(v).all()}


STEP_LOSS = "loss_step_"  # history columns of every N-th batch's loss (``log_every``)


def step_losses(history: dict[str, np.ndarray]) -> dict[int, np.ndarray]:
    """``{step: that batch's loss in each epoch}`` from the ``loss_step_<step>`` columns."""
    steps = {int(k[len(STEP_LOSS) :]): v for k, v in history.items() if k.startswith(STEP_LOSS)}
    return dict(sorted(steps.items()))


def read_predictions(root: Path, key: str) -> dict[str, np.ndarray]:
    """``actual`` and ``predicted`` per test (or training) example."""
    path = layout.predictions_file(root, key)
    return read_columns(path, root, f"train@{key}", ("actual", "predicted"))
