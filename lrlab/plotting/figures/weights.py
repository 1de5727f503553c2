"""Figure ``weights``: each class's weights as a 28x28 image;
drawn for a softmax regression on images."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "each class's weights as a 28x28 image"
ORDER = 11  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return c.is_images and c.cfg.model.kind == "softmax"


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import images

    weight, _ = c.linear
    return images.softmax_weights(
        weight,
        c.class_names,
        title=f"{c.key}: the weight of every pixel in each class score\n"
        "(red: ink there raises the score, blue: lowers it)",
    )
