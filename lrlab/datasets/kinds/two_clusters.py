"""Two Gaussian clusters (lesson 004): class 0 around ``+center`` and class 1 around
``-center`` on every axis.

Nothing is downloaded: ``prepare@<dataset>`` draws the points from the seed and the settings
below, then splits them (stratified, seeded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from lrlab.base.schema import Fraction, NotABool, PositiveFloat, PositiveInt
from lrlab.datasets.kinds import Dataset, DatasetSettings, Kind

if TYPE_CHECKING:
    import numpy as np

    from lrlab.core.prepared import PreparedData


class Settings(DatasetSettings):
    """Two Gaussian clusters centred at ``+center`` and ``-center`` on every axis."""

    n_per_class: Annotated[int, NotABool, Field(ge=2)] = 100
    n_features: PositiveInt = 2
    center: PositiveFloat = 2.0
    std: PositiveFloat = 1.0
    test_fraction: Fraction | None = 0.2


def generate(settings: Settings, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_per_class`` points of standard deviation ``std`` around each centre."""
    import numpy as np

    rng = np.random.default_rng(seed)
    shape = (settings.n_per_class, settings.n_features)
    x = np.concatenate(
        [
            rng.normal(settings.center, settings.std, shape),
            rng.normal(-settings.center, settings.std, shape),
        ]
    )
    y = np.repeat(np.arange(2, dtype=np.int64), settings.n_per_class)
    return x, y


def from_arrays(
    name: str, x: np.ndarray, y: np.ndarray, settings: Settings, seed: int
) -> PreparedData:
    """The two clusters, optionally split (stratified, seeded)."""
    from lrlab.datasets.prepare import build, split, split_kind

    parts = split(name, x, y, settings.test_fraction, seed, True)
    kind = split_kind(settings.test_fraction, "stratified")
    return build(name, "classification", parts, None, 2, split=kind)


def prepare(dataset: Dataset) -> PreparedData:
    x, y = generate(dataset.settings, dataset.seed)
    return from_arrays(dataset.name, x, y, dataset.settings, dataset.seed)


KIND = Kind(Settings, prepare, made_from="generated from the seed")
