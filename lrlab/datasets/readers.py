"""Parse and validate the downloaded files in ``data/raw/<dataset>/``: the readers the dataset
kinds share (:mod:`lrlab.datasets.kinds`).

MNIST-style images are read with torchvision's own ``MNIST``/``FashionMNIST`` classes and the
header-less CSV tables with pandas, each imported only when needed (torchvision alone takes
seconds to import). Anything unexpected raises :class:`~lrlab.base.errors.DataError` naming the
file (and for tables the line), what is wrong, and how to get a good copy.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from lrlab.base.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

IMAGE_SIDE = 28
NUM_DIGITS = 10

PathLike = str | os.PathLike[str]


def refetch(folder: Path) -> str:
    """How to replace the damaged raw data in ``folder`` (``data/raw/<dataset>``)."""
    return f"Delete {folder} and rerun its download stage (`dvc repro download@{folder.name}`)."


# --- images -------------------------------------------------------------------------------


def idx_paths(root: PathLike, image_folder: str, train: bool) -> tuple[Path, Path]:
    """The image and label files torchvision reads for one split."""
    raw = Path(root) / image_folder / "raw"
    prefix = "train" if train else "t10k"
    return raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte"


def read_images(
    root: PathLike, image_folder: str, train: bool, expected: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One split of MNIST (``image_folder="MNIST"``) or Fashion-MNIST (``"FashionMNIST"``).

    Returns uint8 images ``[n, 28, 28]`` and int64 labels ``[n]``; ``expected`` is the
    number of examples the split must hold.
    """
    from torchvision import datasets

    classes = {"MNIST": datasets.MNIST, "FashionMNIST": datasets.FashionMNIST}
    if image_folder not in classes:
        raise ValueError(f"image_folder must be one of {sorted(classes)}, not {image_folder!r}")
    root = Path(root)
    needed = (*idx_paths(root, image_folder, True), *idx_paths(root, image_folder, False))
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise DataError(f"Missing image data file(s): {', '.join(missing)}. {refetch(root)}")
    try:
        split = classes[image_folder](str(root), train=train, download=False)
    except Exception as exc:  # torchvision raises assertion/type/value/runtime errors
        raise DataError(_idx_error(idx_paths(root, image_folder, train), exc, root)) from None
    images, labels = split.data.numpy(), split.targets.numpy().astype(np.int64)
    _check_images(idx_paths(root, image_folder, train), images, labels, expected, root)
    return images, labels


def _idx_error(paths: tuple[Path, Path], exc: Exception, root: Path) -> str:
    """Name the file torchvision could not parse, by reading each one on its own."""
    from torchvision.datasets.mnist import read_image_file, read_label_file

    culprit, error = paths[0], exc
    for path, reader in zip(paths, (read_image_file, read_label_file), strict=True):
        try:
            reader(str(path))
        except Exception as file_exc:
            culprit, error = path, file_exc
            break
    detail = str(error) or "wrong magic number, dimensions or length in the IDX header"
    problem = f"not a valid IDX file for torchvision ({type(error).__name__}: {detail})"
    if culprit.is_file() and culprit.stat().st_size == 0:
        problem = "the file is empty (0 bytes), not a valid IDX file"
    return f"{culprit}: {problem}. The file is damaged or is not MNIST-format data. {refetch(root)}"


def _check_images(
    paths: tuple[Path, Path],
    images: np.ndarray,
    labels: np.ndarray,
    expected: int | None,
    root: Path,
) -> None:
    image_file, label_file = paths
    fix = refetch(root)
    shape = (IMAGE_SIDE, IMAGE_SIDE)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != shape:
        raise DataError(
            f"{image_file}: images are {images.dtype} {list(images.shape)}, expected uint8 "
            f"[n, {IMAGE_SIDE}, {IMAGE_SIDE}]. {fix}"
        )
    if len(labels) != len(images):
        raise DataError(
            f"{label_file}: {len(labels)} labels for {len(images)} images in {image_file}; "
            f"they must match. {fix}"
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= NUM_DIGITS):
        bad = int(np.flatnonzero((labels < 0) | (labels >= NUM_DIGITS))[0])
        raise DataError(
            f"{label_file}: label {int(labels[bad])} at index {bad} is outside 0..9. {fix}"
        )
    if expected is not None and len(images) != expected:
        raise DataError(
            f"{image_file}: {len(images)} images, expected {expected}. The file is incomplete "
            f"or from another dataset. {fix}"
        )


# --- tables -------------------------------------------------------------------------------


def read_labelled_csv(
    path: PathLike,
    columns: tuple[str, ...],
    feature_range: tuple[float, float] | None = None,
    expected: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A header-less CSV of numeric features then a 0/1 label: float64 ``x``, int64 ``y``."""
    path = Path(path)
    import pandas as pd  # only the CSV datasets need it

    table = _read_table(path, columns)
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        row, col = bad[0]
        raw = table.iat[row, col].strip()
        what = "missing value" if not raw else f"{raw!r} is not a finite number"
        _line_error(path, row, f"column {col + 1} ({columns[col]}): {what}", columns)
    x, y = values[:, :-1], values[:, -1]
    if (bad := np.flatnonzero((y != 0) & (y != 1))).size:
        _line_error(path, bad[0], f"{columns[-1]} is {y[bad[0]]:g}, expected 0 or 1", columns)
    if feature_range is not None:
        low, high = feature_range
        rows, cols = np.nonzero((x < low) | (x > high))
        if rows.size:
            message = f"{columns[cols[0]]} is {x[rows[0], cols[0]]:g}, outside [{low:g}, {high:g}]"
            _line_error(path, rows[0], message, columns)
    if expected is not None and len(y) != expected:
        raise DataError(f"{path}: {len(y)} rows, expected {expected}. {refetch(path.parent)}")
    return x, y.astype(np.int64)


def _read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Every field as text, one row per line (blank lines kept so line numbers stay right)."""
    import pandas as pd

    options = {"header": None, "dtype": str, "keep_default_na": False, "skip_blank_lines": False}
    try:
        table = pd.read_csv(path, **options)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found. {refetch(path.parent)}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty. {refetch(path.parent)}") from None
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if not found:
            raise DataError(
                f"{path}: not a valid CSV file ({exc}). {refetch(path.parent)}"
            ) from None
        first, line, saw = int(found[1]), int(found[2]), int(found[3])
        if first != len(columns):  # pandas takes the width from line 1: that line is wrong
            _line_error(path, 0, f"{first} fields, expected {len(columns)}", columns)
        _line_error(path, line - 1, f"{saw} fields, expected {len(columns)}", columns)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file. {refetch(path.parent)}") from None
    if table.shape[1] != len(columns):
        _line_error(path, 0, f"{table.shape[1]} fields, expected {len(columns)}", columns)
    return table


def _line_error(path: Path, row: int, problem: str, columns: tuple[str, ...]) -> NoReturn:
    raise DataError(
        f"{path}, line {int(row) + 1}: {problem}. Each line must hold {len(columns)} "
        f"comma-separated numbers ({', '.join(columns)}) and the label must be 0 or 1. Fix the "
        f"line, or if the file is damaged: {refetch(path.parent)}"
    )
