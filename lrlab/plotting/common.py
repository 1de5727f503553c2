"""Shared figure plumbing: size and resolution, PNG rendering, labels, line clipping."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

from lrlab.core.loss_table import LOSSES

DPI = 110
CLASS_COLORS = ("#d62728", "#1f77b4")  # class 0 red, class 1 blue, as in the lessons
REFERENCE_STYLE = {"color": "0.35", "linestyle": "--", "linewidth": 1.2}


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **kw) -> tuple:
    """A constrained-layout figure of ``width`` x ``height`` inches and its axes array."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def to_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes of exactly ``figsize * DPI`` pixels."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def pixel_size(fig: Figure) -> tuple[int, int]:
    """``(height, width)`` in pixels of the PNG :func:`to_png` writes for ``fig``."""
    width, height = fig.get_size_inches()
    return round(height * DPI), round(width * DPI)


def loss_label(loss: str) -> str:
    """Axis label, with units, for a loss name of params.yaml."""
    spec = LOSSES.get(loss)
    return spec.label if spec else f"{loss} loss"


def as_percent(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Accuracies as percentages; values already above 1 are taken as percentages."""
    arr = np.asarray(values, dtype=float)
    return arr if arr.size and np.nanmax(arr) > 1.0 + 1e-9 else arr * 100.0


def signed(value: float, digits: int = 3) -> str:
    """``value`` as a term of a sum: ``+ 0.748`` or ``− 0.643`` (a true minus sign); float
    noise below 1e-9 shows as ``+ 0``."""
    value = 0.0 if abs(value) < 1e-9 else value
    return f"{'−' if value < 0 else '+'} {abs(value):.{digits}g}"


def use_log_scale(ax: Axes) -> None:
    """A log y axis labelled with plain numbers at 1, 2 and 5 of each decade."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def wants_log_scale(values: np.ndarray, ratio: float = 10.0) -> bool:
    """Whether positive ``values`` span more than ``ratio`` (a log axis reads better)."""
    finite = values[np.isfinite(values)]
    return bool(finite.size and finite.min() > 0 and finite.max() / finite.min() > ratio)


def clip_line(
    a: float, b: float, c: float, box: tuple[float, float, float, float]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The segment of the line ``a*x + b*y + c = 0`` inside ``box = (x0, x1, y0, y1)``.

    Returns the two end points as ``(xs, ys)``, or ``None`` when the line misses the box
    (or is degenerate, ``a = b = 0``). Vertical and horizontal lines are handled exactly.
    """
    x0, x1, y0, y1 = box
    points: list[tuple[float, float]] = []
    if b != 0:
        for x in (x0, x1):
            y = -(a * x + c) / b
            if y0 <= y <= y1:
                points.append((x, y))
    if a != 0:
        for y in (y0, y1):
            x = -(b * y + c) / a
            if x0 <= x <= x1:
                points.append((x, y))
    unique = sorted({(round(x, 12), round(y, 12)) for x, y in points})
    if len(unique) < 2:
        return None
    (xa, ya), (xb, yb) = unique[0], unique[-1]
    return np.array([xa, xb]), np.array([ya, yb])
