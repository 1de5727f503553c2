"""The two-exam admission table (lesson 002): 100 applicants' two exam scores and whether
they were admitted.

``download@<dataset>`` fetches ``data.txt`` (pinned by its sha256); ``prepare@<dataset>``
divides each feature column by its maximum over the training rows, as the lesson does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lrlab.base.schema import Fraction
from lrlab.datasets.fetch.sources import RemoteDataset, RemoteFile
from lrlab.datasets.kinds import Dataset, DatasetSettings, Kind

if TYPE_CHECKING:
    import numpy as np

    from lrlab.core.prepared import PreparedData

COLUMNS = ("exam 1 score", "exam 2 score", "admitted")
SOURCE = RemoteDataset(
    name="exam-scores",
    urls=(
        "https://raw.githubusercontent.com/L1aoXingyu/code-of-learn-deep-learning-with-pytorch/"
        "master/chapter3_NN/logistic-regression/",
    ),
    files=(
        RemoteFile(
            "data.txt",
            "ed7298995232c17a7f1bc50c9807cb7216337563e4a7c00bfcaa8f5d6bd32f02",
            3775,
            "data.txt",
        ),
    ),
    rows={"all": 100},
)


class Settings(DatasetSettings):
    """Each feature column divided by its maximum (``test_fraction: null``: the lesson
    evaluates on its training rows)."""

    test_fraction: Fraction | None = None


def read(path: Path, expected: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``data.txt``: two exam scores and admitted 0/1 per line, no header."""
    from lrlab.datasets.readers import read_labelled_csv

    return read_labelled_csv(path, COLUMNS, expected=expected)


def from_arrays(
    name: str, x: np.ndarray, y: np.ndarray, settings: Settings, seed: int
) -> PreparedData:
    """Each feature column divided by its maximum over the training rows."""
    import numpy as np

    from lrlab.base.errors import DataError
    from lrlab.datasets.prepare import build, floats, split, split_kind

    x_train, x_test, y_train, y_test = split(name, x, y, settings.test_fraction, seed, True)
    scale = x_train.max(axis=0)
    if np.any(scale <= 0):
        raise DataError(
            f"{name}: a feature column has no positive value in the training rows, so it "
            f"cannot be divided by its maximum. Check data/raw/{name}/{SOURCE.files[0].output}."
        )
    parts = (x_train / scale, None if x_test is None else x_test / scale, y_train, y_test)
    normalization = {"mean": [0.0] * len(scale), "std": floats(scale)}
    return build(
        name,
        "classification",
        parts,
        normalization,
        2,
        feature_scale=floats(scale),
        columns=COLUMNS[:-1],
        target=COLUMNS[-1],
        split=split_kind(settings.test_fraction, "stratified"),
    )


def prepare(dataset: Dataset) -> PreparedData:
    x, y = read(dataset.raw / SOURCE.files[0].output, SOURCE.rows.get("all"))
    return from_arrays(dataset.name, x, y, dataset.settings, dataset.seed)


KIND = Kind(Settings, prepare, source=SOURCE)
