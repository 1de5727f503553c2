"""scikit-learn's Wisconsin breast cancer table (lesson 004): 569 tumours' 30 features and
whether each is malignant (0) or benign (1).

``download@<dataset>`` copies the table scikit-learn ships (``sklearn/datasets/data/
breast_cancer.csv``, found without importing scikit-learn) and checks it against the sha256
below, so a scikit-learn whose data differ is caught; ``prepare@<dataset>`` reads it as
``sklearn.datasets.load_breast_cancer`` does, splits it (stratified, seeded) and standardizes
it with the training part's statistics.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from lrlab.base.schema import Fraction
from lrlab.datasets.fetch.sources import RemoteDataset, RemoteFile
from lrlab.datasets.kinds import Dataset, DatasetSettings, Kind

if TYPE_CHECKING:
    import numpy as np

    from lrlab.core.prepared import PreparedData

TABLE = "breast_cancer.csv"


def shipped() -> Path:
    """The table in the installed scikit-learn (``find_spec`` does not import the package)."""
    spec = importlib.util.find_spec("sklearn")
    package = Path(spec.origin).parent if spec and spec.origin else Path("sklearn-not-installed")
    return package / "datasets" / "data" / TABLE


SOURCE = RemoteDataset(
    name="breast-cancer",
    urls=(shipped().parent.as_uri() + "/",),
    files=(
        RemoteFile(
            TABLE,
            "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed",
            119913,
            TABLE,
        ),
    ),
    rows={"all": 569},
)


class Settings(DatasetSettings):
    """A stratified train/test split, standardized with the training part's statistics."""

    test_fraction: Fraction | None = 0.2
    standardize: bool = True


def read(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The table as ``load_breast_cancer`` reads it: a header line ``569,30,malignant,benign``
    (rows, features, class names), then 30 features and the class per line. Returns ``x``
    [569, 30] float64, ``y`` int64 and the class names."""
    import csv

    import numpy as np

    from lrlab.base.errors import DataError
    from lrlab.datasets.readers import refetch

    try:
        with open(path, encoding="utf-8", newline="") as handle:
            lines = csv.reader(handle)
            header = next(lines)
            n_samples, n_features = int(header[0]), int(header[1])
            x = np.empty((n_samples, n_features))
            y = np.empty((n_samples,), dtype=int)
            for i, row in enumerate(lines):
                x[i] = np.asarray(row[:-1], dtype=np.float64)
                y[i] = np.asarray(row[-1], dtype=int)
    except (OSError, ValueError, IndexError, StopIteration) as exc:
        problem = "file not found" if isinstance(exc, FileNotFoundError) else "damaged"
        raise DataError(
            f"{path}: {problem} ({type(exc).__name__}). {refetch(path.parent)}"
        ) from None
    return x, y.astype(np.int64), [str(name) for name in header[2:]]


def from_arrays(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    settings: Settings,
    seed: int,
    class_names: list[str] | None = None,
    columns: list[str] | None = None,
) -> PreparedData:
    """Seeded stratified split, then standardized with the training part's statistics."""
    from lrlab.datasets.prepare import build, floats, split

    x_train, x_test, y_train, y_test = split(name, x, y, settings.test_fraction, seed, True)
    normalization = None
    if settings.standardize:
        from sklearn.preprocessing import StandardScaler

        from lrlab.core.inputs import standardize

        scaler = StandardScaler().fit(x_train)  # its scale_: 1 for a constant column
        normalization = {"mean": floats(scaler.mean_), "std": floats(scaler.scale_)}
        x_train = standardize(x_train, scaler.mean_, scaler.scale_)
        x_test = None if x_test is None else standardize(x_test, scaler.mean_, scaler.scale_)
    parts = (x_train, x_test, y_train, y_test)
    extras = {"class_names": class_names} if class_names else {}
    extras.update(split="stratified", columns=columns, target="diagnosis")
    return build(name, "classification", parts, normalization, 2, **extras)


def prepare(dataset: Dataset) -> PreparedData:
    from sklearn.datasets import load_breast_cancer  # its feature names: 'mean radius' …

    x, y, class_names = read(dataset.raw / TABLE)
    columns = [str(c) for c in load_breast_cancer().feature_names]
    return from_arrays(dataset.name, x, y, dataset.settings, dataset.seed, class_names, columns)


KIND = Kind(Settings, prepare, source=SOURCE)
