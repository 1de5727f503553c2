"""The figure catalogue: every figure lrlab draws and when a variant gets it.

One entry per figure: its file name, the caption the report shows and a predicate on the
variant (its model, loss and data, never its name). ``train@<variant>`` draws
:func:`figures_for` with :data:`lrlab.plotting.draw.DRAW`; ``lesson_figures`` draws
:data:`LESSON_FIGURES`; the report orders and captions what it finds with :func:`caption`.
Nothing here imports matplotlib, so the report stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lrlab.model_kinds import KINDS

if TYPE_CHECKING:
    from lrlab.plotting.inputs import Inputs


@dataclass(frozen=True)
class Entry:
    """One figure: ``<name>.png`` in the variant's figure folder, drawn by
    ``lrlab.plotting.draw.DRAW[name]``."""

    name: str
    caption: str
    applies: Callable[[Inputs], bool]


def _one_layer(c: Inputs) -> bool:
    return not KINDS[c.cfg.model.kind].hidden


VARIANT_FIGURES: tuple[Entry, ...] = (
    Entry("curves", "loss and accuracy per epoch", lambda c: True),
    Entry(
        "probability",
        "P(y = 1) against x, the 0.5 line, the training points",
        lambda c: _one_layer(c) and c.loss_spec.binary and c.n_features == 1,
    ),
    Entry(
        "fit",
        "data and the fitted line",
        lambda c: _one_layer(c) and c.cfg.task == "regression" and c.n_features == 1,
    ),
    Entry(
        "boundary",
        "decision boundary before and after training",
        lambda c: _one_layer(c) and c.loss_spec.binary and c.n_features == 2,
    ),
    Entry(
        "sigmoid",
        "training examples at their scores under the sigmoid",
        lambda c: _one_layer(c) and c.loss_spec.binary and c.n_features == 2,
    ),
    Entry(
        "baseline",
        "loss vs the prior's entropy, accuracy vs the majority rate",
        lambda c: not c.cfg.is_convex and c.loss_spec.binary,
    ),
    Entry(
        "regions",
        "points and predicted class regions",
        lambda c: not _one_layer(c) and c.n_features == 2 and c.cfg.task != "regression",
    ),
    Entry("samples", "test images with their labels", lambda c: c.is_images),
    Entry(
        "first_image",
        "the first training image, titled with its label (as lesson 001 shows one)",
        lambda c: c.is_images,
    ),
    Entry(
        "confusion",
        "confusion matrix on the test set",
        lambda c: c.is_images and c.cfg.task == "classification",
    ),
    Entry(
        "weights",
        "each class's weights as a 28x28 image",
        lambda c: c.is_images and c.cfg.model.kind == "softmax",
    ),
)

LESSON_FIGURES: tuple[tuple[str, str], ...] = (
    ("activations", "relu, sigmoid, tanh and softplus over [-5, 5] (lesson 003)"),
    ("sigmoid", "the sigmoid σ(z) and its 0.5 threshold (lesson 002)"),
)


def figures_for(inputs: Inputs) -> list[Entry]:
    """The figures a variant gets, chosen by its model, loss and data."""
    return [entry for entry in VARIANT_FIGURES if entry.applies(inputs)]


def ordered(lessons: bool) -> list[tuple[str, str]]:
    """``(name, caption)`` of the lesson figures or of the variant figures, in order."""
    return list(LESSON_FIGURES) if lessons else [(e.name, e.caption) for e in VARIANT_FIGURES]
