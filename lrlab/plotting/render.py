"""Draw a set of figures into one folder as PNGs, replacing the folder whole and atomically:
a failure leaves the previous folder or none, never a partial one.

:func:`variant_figures` draws the catalogue entries that fit a variant (its model, loss and
data) from that variant's own outputs; ``train@<variant>`` calls it once its metrics and
predictions are written, and ``python -m stages.figures <variant>`` redraws them by hand.
:func:`lesson_figures` draws the lessons' own illustrations (stage ``lesson_figures``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from lrlab.base import layout
from lrlab.base.io import atomic_dir, write_bytes
from lrlab.core.config import VariantConfig
from lrlab.core.prepared import PreparedData
from lrlab.plotting.catalogue import LESSON_FIGURES, figures_for
from lrlab.plotting.common import to_png
from lrlab.plotting.inputs import Inputs

Drawing = tuple[str, Callable[[], Figure]]


def draw_into(folder: Path, drawings: Iterable[Drawing]) -> list[str]:
    """Render each ``(name, draw)`` to ``folder/<name>.png``; returns the names drawn."""
    names = []
    with atomic_dir(folder) as staging:
        for name, draw in drawings:
            write_bytes(staging / f"{name}.png", to_png(draw()))
            names.append(name)
    return names


def variant_figures(
    root: Path,
    key: str,
    variant: VariantConfig,
    data: PreparedData | None = None,
    checkpoint: dict[str, Any] | None = None,
) -> list[str]:
    """Draw ``variants.<key>``'s figures into ``figures/<key>/``; ``data`` and ``checkpoint``
    are read from their files unless given (:class:`~lrlab.plotting.inputs.Inputs`)."""
    inputs = Inputs(root, key, variant, data, checkpoint)
    drawings = [(e.name, lambda e=e: e.draw(inputs)) for e in figures_for(inputs)]
    return draw_into(layout.figures_dir(root, key), drawings)


def lesson_figures(root: Path) -> list[str]:
    """Draw the lessons' illustrations into ``figures/lessons/``."""
    drawings = [(e.name, e.draw) for e in LESSON_FIGURES]
    return draw_into(layout.figures_dir(root, layout.LESSON_FIGURES), drawings)
