"""Figure ``regions``: points and predicted class regions;
drawn for an MLP classifier of two features."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lrlab.core.model_kinds import KINDS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "points and predicted class regions"
ORDER = 7  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return KINDS[c.cfg.model.kind].hidden and c.n_features == 2 and c.cfg.task != "regression"


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import boundary
    from lrlab.plotting.model_params import predict_classes

    def predict(points: np.ndarray) -> np.ndarray:
        full = np.zeros((len(points), c.x.shape[1]))
        full[:, :2] = points  # features beyond the first two held at 0
        return predict_classes(c.layers, full, c.cfg.model.activation)

    test = (c.x_test, c.y_test) if c.has_test else (None, None)
    return boundary.decision_regions(predict, c.x, c.y, *test, title=c.title)
