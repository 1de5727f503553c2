"""Figure ``fit``: data and the fitted line; drawn for a one-layer regression on one feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrlab.core.model_kinds import KINDS
from lrlab.plotting.inputs import first

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "data and the fitted line"
ORDER = 3  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return not KINDS[c.cfg.model.kind].hidden and c.cfg.task == "regression" and c.n_features == 1


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import lines

    weight, bias = c.linear
    w, b = float(weight[0, 0]), float(bias[0])
    true_w, ref_w = first(c.info.get("true_weight")), first(c.ref.get("weight"))
    return lines.linear_fit(
        c.x[:, 0],
        c.y,
        w,
        b,
        title=c.title,
        true_line=None if true_w is None else (true_w, first(c.info.get("true_bias")) or 0.0),
        reference_line=None if ref_w is None else (ref_w, first(c.ref.get("bias")) or 0.0),
        queries={q: w * q + b for (q,) in c.cfg.query_points},
        x_test=c.x_test[:, 0] if c.has_test else None,
        y_test=c.y_test,
    )
