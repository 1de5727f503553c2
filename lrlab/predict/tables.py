"""New rows from a CSV file as a table model's input, by the recipe in its model file.

The file's header names its columns; the model's input columns may come in any order, others
are ignored. Cells are read as text (:func:`lrlab.core.inputs.read_cells`, the reader
``prepare`` uses), then encoded and scaled by :mod:`lrlab.core.inputs`, as the training rows
were. A missing cell is handled as the dataset's ``missing`` setting says: ``error`` stops
with the cells, ``drop`` leaves the row out.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lrlab.base.errors import DataError
from lrlab.core.inputs import (
    NA_TOKENS,
    SHOWN,
    describe_cells,
    level_codes,
    numbers,
    one_hot,
    read_cells,
    standardize,
)

FIX = "Fix the file and run lrlab predict again."


@dataclass(frozen=True)
class Rows:
    """The model's input ``x`` [n, d] (float32), each row's CSV ``lines``, the target column's
    cells (None when the file has none), and the columns and rows that were left out."""

    x: np.ndarray
    lines: np.ndarray
    target: np.ndarray | None
    ignored: list[str]
    dropped: list[int]


def _names(names: list[str]) -> str:
    more = f" and {len(names) - 2 * SHOWN} more" if len(names) > 2 * SHOWN else ""
    return ", ".join(map(repr, names[: 2 * SHOWN])) + more


def _check_header(path: Path, header: list[str], recipe: dict[str, Any]) -> None:
    absent = []
    for column in recipe["columns"]:
        if column not in header:
            close = difflib.get_close_matches(column, header, n=1, cutoff=0.6)
            absent.append(f"{column!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    if absent:
        more = f" and {len(absent) - SHOWN} more" if len(absent) > SHOWN else ""
        raise DataError(
            f"{path} has no column {', no column '.join(absent[:SHOWN])}{more}. The model reads "
            f"the columns {_names(recipe['columns'])}; the file has {_names(header)}. Rename "
            "them in its header line."
        )


def read_rows(path: Path, recipe: dict[str, Any]) -> Rows:
    """The rows of ``path`` encoded for a model whose input recipe is ``recipe``."""
    header, columns, lines = read_cells("", path, FIX)
    _check_header(path, header, recipe)
    table = {c: columns[header.index(c)] for c in recipe["columns"]}
    target = recipe["target"]
    ignored = [c for c in header if c not in table and c != target]
    na = np.column_stack([[v.lower() in NA_TOKENS for v in cells] for cells in table.values()])
    dropped: list[int] = []
    if na.any() and recipe["missing"] == "drop":
        keep = ~na.any(axis=1)
        dropped = lines[~keep].tolist()
        if not keep.any():
            raise DataError(f"{path}: every row has a missing cell in a column the model reads.")
        table, lines = {c: v[keep] for c, v in table.items()}, lines[keep]
        columns = [c[keep] for c in columns]
    elif na.any():
        used = list(table)
        cells = [(int(lines[r]), used[c], table[used[c]][r]) for r, c in np.argwhere(na)]
        raise DataError(
            f"{path}: {describe_cells(cells, 'missing cell(s)')}. The model's dataset was prepared "
            "with `missing: error`, so it predicts only for complete rows: fill them in."
        )
    blocks, bad, unseen = [], [], []
    for column, cells in table.items():
        levels = recipe["categories"].get(column)
        if levels is not None:
            codes = level_codes(cells, levels)
            for i in np.flatnonzero(codes < 0):
                unseen.append((int(lines[i]), column, cells[i]))
            blocks.append(one_hot(np.maximum(codes, 0), len(levels)))
            continue
        floats, nan, inf = numbers(cells)
        bad += [(int(lines[i]), column, cells[i]) for i in np.flatnonzero(nan | inf)]
        blocks.append(floats[:, None])
    if unseen:
        known = "; ".join(
            f"{c!r}: {', '.join(recipe['categories'][c])}"
            for c in table
            if c in recipe["categories"]
        )
        raise DataError(
            f"{path}: {describe_cells(unseen, 'value(s) never seen in training')}. The known "
            f"levels are {known}. {FIX}"
        )
    if bad:
        raise DataError(
            f"{path}: {describe_cells(bad, 'cell(s) that are not finite numbers')}. {FIX}"
        )
    x = standardize(np.hstack(blocks), recipe["mean"], recipe["std"])
    cells = columns[header.index(target)] if target in header else None
    return Rows(x, lines, cells, ignored, dropped)
