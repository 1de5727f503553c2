"""Lesson figure ``sigmoid``: the sigmoid and its 0.5 threshold (lesson 002)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "sigmoid"
LESSONS = True  # drawn once into figures/lessons/, not per variant
CAPTION = "the sigmoid σ(z) and its 0.5 threshold (lesson 002)"
ORDER = 2


def draw() -> Figure:
    from lrlab.plotting import lines

    return lines.sigmoid_curve()
