"""Figure ``confusion``: confusion matrix on the test set; drawn for an image classifier."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "confusion matrix on the test set"
ORDER = 10  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return c.is_images and c.cfg.task == "classification"


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import images

    return images.confusion_matrix(
        c.predictions["actual"].astype(int),
        c.predictions["predicted"].astype(int),
        c.class_names,
        title=f"{c.key}: confusion matrix",
    )
