"""How your own CSV file becomes a dataset (the ``csv`` kind, :mod:`lrlab.datasets.kinds.csv`,
whose :class:`~lrlab.datasets.kinds.csv.Settings` it reads).

:func:`prepare_csv` reads the table with every cell as text first, so a bad cell can be
reported by its CSV line (the header is line 1) and column; checks it; turns class labels into
indices 0..k-1 (sorted numerically when all are numbers, else as text); one-hot encodes the
categorical features over all used rows; splits with :func:`~lrlab.datasets.prepare.split`;
and standardizes the other feature columns with the training part's statistics. Cells and
header names are stripped of surrounding spaces, lines whose cells are all empty are skipped,
and an empty cell or one of ``NA_TOKENS`` (any case) counts as missing. :func:`verify_sha256`
checks a file against its sha256.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path

import numpy as np

from lrlab.base.errors import DataError
from lrlab.core.inputs import (
    NA_TOKENS,
    Cell,
    describe_cells,
    numbers,
    one_hot,
    read_cells,
    standardize,
)
from lrlab.core.prepared import PreparedData
from lrlab.datasets.kinds.csv import Settings as CsvSettings
from lrlab.datasets.kinds.csv import repeated
from lrlab.datasets.prepare import build, split

CHUNK = 1 << 20
Table = dict[str, np.ndarray]  # used column -> its cells as text, target first


def verify_sha256(path: Path, expected: str, name: str) -> None:
    """Raise :class:`DataError` unless the file's SHA-256 is ``expected`` (any case)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise DataError(f"{name}: cannot read {path} to check its checksum ({exc}).") from None
    actual = digest.hexdigest()
    if actual != expected.lower():
        raise DataError(
            f"{name}: checksum mismatch for {path}: expected {expected.lower()} got {actual}. "
            f"If the file changed on purpose, set datasets.{name}.sha256: {actual} in "
            "params.yaml; otherwise delete the file and fetch it again."
        )


def _bad(name: str, path: Path, cells: list[Cell], what: str, fix: str) -> DataError:
    """One message listing the first few bad cells, by line, with their count."""
    return DataError(f"{name}: {path}: {describe_cells(cells, what)}. {fix}")


def _check_columns(
    name: str, path: Path, header: list[str], cfg: CsvSettings, features: list[str]
) -> None:
    wanted = [("target", cfg.target), *(("features", f) for f in features)]
    wanted += [("categorical", c) for c in cfg.categorical if c not in features]
    absent, keys = [], []
    for key, column in wanted:
        if column not in header:
            close = difflib.get_close_matches(column, header, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            absent.append(f"{key} column {column!r}{hint}")
            keys.append(f"datasets.{name}.{key}")
    if absent:
        raise DataError(
            f"{name}: {path} has no {'; no '.join(absent)}. Its columns are: "
            f"{', '.join(map(repr, header))}. Fix {' / '.join(dict.fromkeys(keys))} in "
            "params.yaml, or the CSV's header line."
        )
    doubled = repeated([c for c in header if c in (cfg.target, *features)])
    if doubled:
        raise DataError(
            f"{name}: {path} has more than one column named {doubled} in its header line. "
            "Rename them in the CSV so each name is unique."
        )


def _levels(values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Distinct values, sorted numerically when all are numbers (equal numbers merged, named
    by their first spelling in text order), else as text; and each value's level index."""
    texts, codes = np.unique(values.astype(str), return_inverse=True)
    floats, nan, _ = numbers(texts.astype(object))
    if nan.any():
        return [str(t) for t in texts], codes
    _, group = np.unique(floats, return_inverse=True)
    _, first = np.unique(group, return_index=True)  # texts are sorted: first = smallest
    return [str(texts[i]) for i in first], group[codes]


def _encode(
    name: str, path: Path, cfg: CsvSettings, table: Table, lines: np.ndarray
) -> tuple[np.ndarray, list[str], np.ndarray, dict[str, list[str]]]:
    """The feature matrix, its column names, which columns are one-hot, and the levels."""
    blocks: list[np.ndarray] = []
    names: list[str] = []
    onehot: list[bool] = []
    categories: dict[str, list[str]] = {}
    bad: dict[str, list[Cell]] = {"numbers": [], "finite": []}
    for column, values in list(table.items())[1:]:
        if column in cfg.categorical:
            levels, codes = _levels(values)
            blocks.append(one_hot(codes, len(levels)))
            names += [f"{column}={level}" for level in levels]
            onehot += [True] * len(levels)
            categories[column] = levels
            continue
        floats, nan, inf = numbers(values)
        for kind, mask in (("numbers", nan), ("finite", inf)):
            bad[kind] += [(int(lines[i]), column, values[i]) for i in np.flatnonzero(mask)]
        blocks.append(floats[:, None])
        names.append(column)
        onehot.append(False)
    if bad["numbers"]:
        fix = (
            "Fix them in the CSV; if a column holds categories, list it under "
            f"datasets.{name}.categorical (or leave it out of datasets.{name}.features)."
        )
        raise _bad(name, path, bad["numbers"], "feature cell(s) are not numbers", fix)
    if bad["finite"]:
        fix = "Replace them in the CSV with finite numbers."
        raise _bad(name, path, bad["finite"], "feature cell(s) are not finite numbers", fix)
    return np.hstack(blocks), names, np.array(onehot), categories


def _targets(
    name: str, path: Path, cfg: CsvSettings, target: np.ndarray, lines: np.ndarray
) -> tuple[np.ndarray, list[str] | None]:
    """Class indices and names, or regression values (and no names)."""
    if cfg.task == "classification":
        class_names, y = _levels(target)
        if len(class_names) < 2:
            raise DataError(
                f"{name}: {path}: target column {cfg.target!r} holds a single class "
                f"({class_names[0]!r}); classification needs at least two. Fix the CSV, or "
                f"datasets.{name}.target / task in params.yaml."
            )
        return y, class_names
    y, nan, inf = numbers(target)
    for mask, what in ((nan, "not numbers"), (inf, "not finite numbers")):
        if mask.any():
            cells = [(int(lines[i]), cfg.target, target[i]) for i in np.flatnonzero(mask)]
            fix = (
                f"Fix them in the CSV, or set datasets.{name}.task: classification in "
                "params.yaml if the target names classes."
            )
            raise _bad(name, path, cells, f"regression target value(s) are {what}", fix)
    return y, None


def prepare_csv(name: str, path: Path, cfg: CsvSettings, seed: int) -> PreparedData:
    """Read, check, encode, split and standardize ``path`` as described by ``cfg``."""
    path = Path(path)
    header, columns, lines = read_cells(name, path)
    features = cfg.features or [c for c in header if c and c != cfg.target]
    _check_columns(name, path, header, cfg, features)
    table = {c: columns[header.index(c)] for c in (cfg.target, *features)}
    n_read = len(lines)
    na = np.column_stack([[v.lower() in NA_TOKENS for v in col] for col in table.values()])
    if cfg.missing == "drop":
        keep = ~na.any(axis=1)
        if not keep.any():
            raise DataError(
                f"{name}: {path}: all {n_read} rows have an empty or missing cell in a used "
                f"column ({', '.join(map(repr, table))}), so missing: drop leaves none. Fill "
                f"them in the CSV, or choose other datasets.{name}.features."
            )
        table, lines = {c: v[keep] for c, v in table.items()}, lines[keep]
    elif na.any():
        used = list(table)
        cells = [(int(lines[r]), used[c], table[used[c]][r]) for r, c in np.argwhere(na)]
        fix = (
            f"Fill them in the CSV, or set datasets.{name}.missing: drop in params.yaml to "
            "drop such rows."
        )
        raise _bad(name, path, cells, "empty or missing cell(s) (empty, NA, null, ?...)", fix)
    x, names, onehot, categories = _encode(name, path, cfg, table, lines)
    y, class_names = _targets(name, path, cfg, table[cfg.target], lines)

    stratify = cfg.task == "classification"
    x_train, x_test, y_train, y_test = split(name, x, y, cfg.test_fraction, seed, stratify)
    normalization = None
    if cfg.standardize:  # one-hot columns keep mean 0, std 1
        mean, std = np.zeros(x.shape[1]), np.ones(x.shape[1])
        mean[~onehot] = x_train[:, ~onehot].mean(axis=0)
        std[~onehot] = x_train[:, ~onehot].std(axis=0)
        std[~onehot & (np.ptp(x_train, axis=0) == 0)] = 1.0  # a constant column
        x_train = standardize(x_train, mean, std)
        x_test = None if x_test is None else standardize(x_test, mean, std)
        normalization = {"mean": mean.tolist(), "std": std.tolist()}
    kind = "none" if cfg.test_fraction is None else "stratified" if stratify else "random"
    rows = {"read": n_read, "dropped": n_read - len(lines)}
    extras = dict(class_names=class_names, feature_names=names, categories=categories, rows=rows)
    extras.update(target=cfg.target, columns=features, missing=cfg.missing)
    extras.update(split=kind, source=cfg.source)
    num_classes = None if class_names is None else len(class_names)
    parts = (x_train, x_test, y_train, y_test)
    return build(name, cfg.task, parts, normalization, num_classes, **extras)
