"""A generated regression set (lesson 003): ``sklearn.datasets.make_regression`` with a known
true weight and no bias.

Nothing is downloaded: ``prepare@<dataset>`` generates the points from the seed and the
settings below, and records the true weight (and bias 0) beside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from lrlab.base.schema import Fraction, NonNegativeFloat, NotABool, PositiveInt
from lrlab.datasets.kinds import Dataset, DatasetSettings, Kind

if TYPE_CHECKING:
    import numpy as np

    from lrlab.core.prepared import PreparedData


class Settings(DatasetSettings):
    """``sklearn.datasets.make_regression`` settings."""

    n_samples: Annotated[int, NotABool, Field(ge=2)] = 1000
    n_features: PositiveInt = 1
    noise: NonNegativeFloat = 10.0
    test_fraction: Fraction | None = None


def generate(settings: Settings, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``make_regression`` with the lesson's settings: ``x`` [n, d], ``y`` [n] and the true
    coefficients [d] (the bias is 0)."""
    import numpy as np
    from sklearn.datasets import make_regression

    x, y, coef = make_regression(
        n_samples=settings.n_samples,
        n_features=settings.n_features,
        noise=settings.noise,
        coef=True,
        random_state=seed,
    )
    return x, y, np.atleast_1d(coef)


def from_arrays(
    name: str, x: np.ndarray, y: np.ndarray, coef: np.ndarray, settings: Settings, seed: int
) -> PreparedData:
    """The generated points, with the true weight (and bias 0) recorded."""
    from lrlab.datasets.prepare import build, floats, split, split_kind

    parts = split(name, x, y, settings.test_fraction, seed, False)
    return build(
        name,
        "regression",
        parts,
        None,
        true_weight=floats(coef),
        true_bias=0.0,
        split=split_kind(settings.test_fraction, "random"),
    )


def prepare(dataset: Dataset) -> PreparedData:
    x, y, coef = generate(dataset.settings, dataset.seed)
    return from_arrays(dataset.name, x, y, coef, dataset.settings, dataset.seed)


KIND = Kind(Settings, prepare, made_from="generated from the seed by make_regression")
