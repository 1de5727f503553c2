"""Figure ``first_image``: the first training image, titled with its label (as lesson 001
shows one); drawn for an image dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "the first training image, titled with its label (as lesson 001 shows one)"
ORDER = 9  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return c.is_images


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import images

    title = f"{c.cfg.dataset}: training image 0"
    return images.sample_grid(c.x[:1], c.y[:1], c.class_names, title=title, ncols=1, cell=3.2)
