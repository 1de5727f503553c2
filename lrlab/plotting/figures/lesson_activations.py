"""Lesson figure ``activations``: relu, sigmoid, tanh and softplus (lesson 003)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "activations"
LESSONS = True  # drawn once into figures/lessons/, not per variant
CAPTION = "relu, sigmoid, tanh and softplus over [-5, 5] (lesson 003)"
ORDER = 1


def draw() -> Figure:
    from lrlab.plotting import lines

    return lines.activations()
