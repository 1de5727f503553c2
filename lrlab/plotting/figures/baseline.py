"""Figure ``baseline``: loss vs the prior's entropy, accuracy vs the majority rate;
drawn for a binary MLP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "loss vs the prior's entropy, accuracy vs the majority rate"
ORDER = 6  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return not c.cfg.is_convex and c.loss_spec.binary


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import curves

    return curves.majority_baseline(
        c.epochs,
        c.loss,
        c.accuracy if c.accuracy is not None else np.zeros_like(c.loss),
        positive_rate=float(np.mean(c.y)),
        loss_name=c.cfg.loss,
        title=c.title,
    )
