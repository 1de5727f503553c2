"""Figure ``probability``: P(y = 1) against x, the 0.5 line, the training points;
drawn for a one-layer binary classifier of one feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrlab.core.model_kinds import KINDS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "P(y = 1) against x, the 0.5 line, the training points"
ORDER = 2  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return not KINDS[c.cfg.model.kind].hidden and c.loss_spec.binary and c.n_features == 1


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import lines

    weight, bias = c.linear
    w, b = float(weight[0, 0]), float(bias[0])
    return lines.probability_curve(
        c.x[:, 0], c.y, w, b, title=c.title, queries=[p[0] for p in c.cfg.query_points]
    )
