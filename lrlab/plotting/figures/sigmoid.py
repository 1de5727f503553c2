"""Figure ``sigmoid``: training examples at their scores under the sigmoid;
drawn for a one-layer binary classifier of two features."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrlab.core.model_kinds import KINDS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "training examples at their scores under the sigmoid"
ORDER = 5  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return not KINDS[c.cfg.model.kind].hidden and c.loss_spec.binary and c.n_features == 2


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import boundary

    weight, bias = c.linear
    scores = c.x @ weight[0] + bias[0]
    return boundary.score_sigmoid(scores, c.y, title=f"{c.title}\nafter training")
