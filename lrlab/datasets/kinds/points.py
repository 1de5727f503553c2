"""A lesson's handful of points, listed in params.yaml (lessons 000 and 003): ``x`` and ``y``
side by side, and whether ``y`` holds class labels or real targets.

Nothing is downloaded: ``prepare@<dataset>`` takes every point for training, with no test
split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from lrlab.base.schema import Float
from lrlab.datasets.kinds import Dataset, DatasetSettings, Kind

if TYPE_CHECKING:
    import numpy as np

    from lrlab.core.prepared import PreparedData


class Settings(DatasetSettings):
    """A lesson's points: class labels 0/1 (``task: classification``) or real targets."""

    task: Literal["classification", "regression"]
    x: Annotated[list[Float], Field(min_length=1)]
    y: Annotated[list[Float], Field(min_length=1)]

    @model_validator(mode="after")
    def _same_length(self) -> Settings:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} values but y has {len(self.y)}; they must match")
        return self


def arrays(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """``x`` [n, 1] and ``y`` [n] (float64)."""
    import numpy as np

    x = np.asarray(settings.x, dtype=np.float64).reshape(-1, 1)
    return x, np.asarray(settings.y, dtype=np.float64)


def from_arrays(name: str, x: np.ndarray, y: np.ndarray, task: str) -> PreparedData:
    """Every point for training: class labels for a classification set, real targets else."""
    import numpy as np

    from lrlab.base.errors import DataError
    from lrlab.datasets.prepare import build, floats

    parts = (x, None, y, None)
    if task == "regression":
        return build(name, "regression", parts, None, split="none")
    if not np.all(np.isin(y, (0, 1))):
        raise DataError(
            f"{name}: y = {floats(y)} must hold class labels 0 or 1. Fix datasets.{name}.y in "
            "params.yaml."
        )
    return build(name, "classification", (x, None, y.astype(np.int64), None), None, 2, split="none")


def prepare(dataset: Dataset) -> PreparedData:
    return from_arrays(dataset.name, *arrays(dataset.settings), dataset.settings.task)


KIND = Kind(Settings, prepare, made_from="listed in params.yaml")
