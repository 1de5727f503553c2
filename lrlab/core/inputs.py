"""What a model takes as input, and how raw rows or images become it.

``prepare`` records in a dataset's ``info`` how its arrays were made; :func:`input_recipe`
turns that into the recipe a model file carries (``inputs``), and the functions below apply
its steps. ``prepare`` and ``lrlab predict`` call the same ones, so new rows and images go
through exactly the arithmetic the training data went through.

A table's recipe: its raw input ``columns`` in order, the ``categories`` of the one-hot encoded
ones (each becomes one 0/1 column per level, in level order, where it stands), then
``(x - mean) / std`` in float64 (no ``mean``: no scaling), cast to float32. An image's: 8-bit
gray pixels of ``shape``, row by row, divided by 255, then ``(x - mean) / std``, in float32.
A CSV file's cells are read as text first (:func:`read_cells`), so that a bad one is named by
its line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lrlab.base.errors import DataError

NA_TOKENS = frozenset({"", "na", "nan", "n/a", "null", "none", "?"})  # any case: missing
SHOWN = 5  # bad cells listed in one message
Cell = tuple[int, str, str]  # (CSV line, column, value)


def class_names(info: dict[str, Any]) -> list[str] | None:
    """The classes' names (``0``, ``1``, … where the dataset names none); None: regression."""
    if info["task"] != "classification":
        return None
    return [str(c) for c in info.get("class_names") or range(int(info["num_classes"]))]


def default_columns(width: int) -> list[str]:
    """The names of a table's columns where its dataset gives none: ``x``, or ``x1`` …"""
    return ["x"] if width == 1 else [f"x{i}" for i in range(1, width + 1)]


def input_recipe(info: dict[str, Any], width: int) -> dict[str, Any]:
    """The recipe of a prepared dataset from its ``info`` (:mod:`lrlab.core.prepared`) and its
    feature count ``width``."""
    norm = info.get("normalization") or {}
    common = {"dataset": info["name"], "task": info["task"], "class_names": class_names(info)}
    if "image_shape" in info:
        shape = [int(n) for n in info["image_shape"]]
        mean, std = norm.get("mean", 0.0), norm.get("std", 1.0)
        return {**common, "kind": "image", "shape": shape, "mean": mean, "std": std}
    return {
        **common,
        "kind": "table",
        "columns": list(info.get("columns") or default_columns(width)),
        "target": info.get("target", "y"),
        "categories": dict(info.get("categories") or {}),
        "missing": info.get("missing", "error"),
        "mean": norm.get("mean"),
        "std": norm.get("std"),
    }


def read_cells(
    name: str, path: Path, other: str | None = None
) -> tuple[list[str], list[np.ndarray], np.ndarray]:
    """Header names, each column's stripped cells as text, and each data row's CSV line; an
    error starts with ``name`` and ends with ``other`` (default: how to point the dataset
    ``name`` at another file; no ``name``: no lead)."""
    import pandas as pd

    lead = f"{name}: " if name else ""
    other = other or f"Fix the file, or point datasets.{name}.source in params.yaml at another."
    try:
        frame = pd.read_csv(
            path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except OSError as exc:
        raise DataError(f"{lead}cannot read {path} ({exc.strerror or exc}). {other}") from None
    except pd.errors.EmptyDataError:
        what = "is empty (0 bytes)" if path.stat().st_size == 0 else "has a blank line 1"
        raise DataError(
            f"{lead}{path} {what}. A CSV needs a header line naming the columns, "
            f"comma-separated, then at least one data row. {other}"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        fix = (
            "Save it as UTF-8."
            if isinstance(exc, UnicodeDecodeError)
            else (
                "Every line needs as many comma-separated fields as the header; quote fields "
                "that contain commas."
            )
        )
        raise DataError(
            f"{lead}{path} is not a well-formed UTF-8 CSV table ({str(exc).strip()}). {fix} {other}"
        ) from None
    raw = [frame[c].fillna("") for c in frame.columns]
    newlines = sum(column.str.count("\n").to_numpy() for column in raw)  # in quoted fields
    lines = 1 + np.arange(len(frame)) + np.concatenate([[0], np.cumsum(newlines)[:-1]])
    columns = [column.str.strip().to_numpy(dtype=object) for column in raw]
    header, columns = [str(c[0]) for c in columns], [c[1:] for c in columns]
    filled = np.any([c != "" for c in columns], axis=0)
    if not filled.any():
        raise DataError(f"{lead}{path} has a header line but no data rows. {other}")
    return header, [c[filled] for c in columns], lines[1:][filled]


def describe_cells(cells: list[Cell], what: str) -> str:
    """``3 cells that are not numbers: line 4, column 'x': 'abc'; …``, by line, the first few."""
    cells = sorted(cells, key=lambda cell: cell[0])
    shown = [
        f"line {line}, column {column!r}" + (f": {value!r}" if value else "")
        for line, column, value in cells[:SHOWN]
    ]
    more = f" (and {len(cells) - SHOWN} more)" if len(cells) > SHOWN else ""
    return f"{len(cells)} {what}: {'; '.join(shown)}{more}"


def numbers(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text cells as float64, plus masks of the cells that are not numbers and not finite."""
    import pandas as pd

    floats = np.asarray(pd.to_numeric(values, errors="coerce"), dtype=np.float64)
    return floats, np.isnan(floats), np.isinf(floats)


def level_codes(values: np.ndarray, levels: list[str]) -> np.ndarray:
    """Each text cell's index in ``levels`` (-1: none). Levels that are all numbers match by
    value (``2.0`` is level ``2``), as ``prepare`` merged them; others by their text."""
    level_numbers, nan, _ = numbers(np.asarray(levels, dtype=object))
    if not nan.any():
        cells = numbers(values)[0]
        match = cells[:, None] == level_numbers[None, :]
    else:
        match = values.astype(str)[:, None] == np.asarray(levels, dtype=str)[None, :]
    return np.where(match.any(axis=1), match.argmax(axis=1), -1)


def one_hot(codes: np.ndarray, count: int) -> np.ndarray:
    """``[n, count]`` float64 0/1 columns of level indices (all in range)."""
    return np.eye(count)[codes]


def standardize(x: np.ndarray, mean: Any, std: Any) -> np.ndarray:
    """``(x - mean) / std`` in float64 (``mean`` None: ``x`` as it is), cast to float32."""
    if mean is not None:
        x = (x - np.asarray(mean, dtype=np.float64)) / np.asarray(std, dtype=np.float64)
    return np.ascontiguousarray(x, np.float32)


def scale_pixels(images: np.ndarray, mean: float, std: float) -> np.ndarray:
    """8-bit images ``[n, h, w]`` as float32 rows ``[n, h * w]``: ``(p / 255 - mean) / std``."""
    x = images.reshape(len(images), -1).astype(np.float32)
    x /= np.float32(255.0)
    x -= np.float32(mean)
    x /= np.float32(std)
    return x
