"""The Pima diabetes table (lesson 003): 759 patients' eight features, already scaled to
[-1, 1], and whether they have diabetes.

``download@<dataset>`` fetches ``diabetes.csv.gz`` (pinned by the sha256 of the decompressed
table); ``prepare@<dataset>`` splits it, stratified and seeded (``test_fraction: null``: every
row trains, as the lesson does).
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

COLUMNS = tuple(f"feature {i}" for i in range(1, 9)) + ("label",)
SOURCE = RemoteDataset(
    name="diabetes",
    urls=("https://raw.githubusercontent.com/hunkim/PyTorchZeroToAll/master/data/",),
    files=(
        RemoteFile(
            "diabetes.csv.gz",
            "89e33de71cd5afdcd4fe8a722b60c4d69eb8f9b96446cea9347d735ff2df395e",
            53438,
            "diabetes.csv",
            gzipped=True,
        ),
    ),
    rows={"all": 759},
)


class Settings(DatasetSettings):
    """A stratified train/test split (``test_fraction: null``: all rows train)."""

    test_fraction: Fraction | None = 0.2


def read(path: Path, expected: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``diabetes.csv``: eight features scaled to [-1, 1] and a 0/1 label, no header."""
    from lrlab.datasets.readers import read_labelled_csv

    return read_labelled_csv(path, COLUMNS, feature_range=(-1.0, 1.0), expected=expected)


def from_arrays(
    name: str, x: np.ndarray, y: np.ndarray, settings: Settings, seed: int
) -> PreparedData:
    """Seeded stratified split; the features are already scaled to [-1, 1]."""
    from lrlab.datasets.prepare import build, split

    parts = split(name, x, y, settings.test_fraction, seed, True)
    columns, target = COLUMNS[:-1], COLUMNS[-1]
    return build(
        name, "classification", parts, None, 2, split="stratified", columns=columns, target=target
    )


def prepare(dataset: Dataset) -> PreparedData:
    x, y = read(dataset.raw / SOURCE.files[0].output, SOURCE.rows.get("all"))
    return from_arrays(dataset.name, x, y, dataset.settings, dataset.seed)


KIND = Kind(Settings, prepare, source=SOURCE)
