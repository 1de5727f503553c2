"""Figure ``samples``: test images with their labels; drawn for an image dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "test images with their labels"
ORDER = 8  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return c.is_images


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import images

    xs, ys, split = (c.x_test, c.y_test, "test") if c.has_test else (c.x, c.y, "training")
    names = c.class_names
    idx = images.pick_samples(ys, len(names), per_class=2)
    return images.sample_grid(xs[idx], ys[idx], names, title=f"{c.cfg.dataset}: {split} images")
