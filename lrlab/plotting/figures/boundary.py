"""Figure ``boundary``: decision boundary before and after training;
drawn for a one-layer binary classifier of two features."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lrlab.core.model_kinds import KINDS
from lrlab.plotting.inputs import first

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "decision boundary before and after training"
ORDER = 4  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return not KINDS[c.cfg.model.kind].hidden and c.loss_spec.binary and c.n_features == 2


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import boundary

    weight, bias = c.linear
    start_w, start_b = c.initial_linear
    ref_w, ref_b = c.ref.get("weight"), first(c.ref.get("bias"))
    exact = c.cfg.is_convex and not c.ref.get("separable") and ref_w is not None
    return boundary.exam_boundary(
        c.x,
        c.y,
        (weight[0], float(bias[0])),
        (start_w[0], float(start_b[0])),
        optimum=(np.asarray(ref_w, float).ravel(), ref_b or 0.0) if exact else None,
        title=f"{c.title}\ndecision boundary w₀x₀ + w₁x₁ + b = 0 before and after training",
        feature_scale=c.info.get("feature_scale"),
    )
