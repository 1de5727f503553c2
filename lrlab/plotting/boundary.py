"""Two-feature classifiers: decision boundaries, the sigmoid of the scores, decision regions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from lrlab.plotting.common import CLASS_COLORS, clip_line, new_figure, signed
from lrlab.plotting.lines import sigmoid

Linear = tuple[Sequence[float], float]  # (weights w0, w1; bias b)


def _box(x: np.ndarray, pad: float = 0.06) -> tuple[float, float, float, float]:
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    (x0, y0), (x1, y1) = lo - pad * span, hi + pad * span
    return float(x0), float(x1), float(y0), float(y1)


def _scatter_classes(ax, x: np.ndarray, y: np.ndarray, names: Sequence[str], **kw) -> None:
    size = kw.pop("s", 28)
    for cls, name in enumerate(names):
        mask = y == cls
        ax.scatter(
            x[mask, 0],
            x[mask, 1],
            s=size,
            color=CLASS_COLORS[cls % 2],
            edgecolor="black",
            linewidth=0.4,
            label=name,
            **kw,
        )


def exam_boundary(
    x: np.ndarray,
    y: np.ndarray,
    after: Linear,
    before: Linear | None = None,
    *,
    title: str,
    optimum: Linear | None = None,
    feature_scale: Sequence[float] | None = None,
    class_names: Sequence[str] = ("not admitted (y = 0)", "admitted (y = 1)"),
) -> Figure:
    """The two classes and the line ``w0*x0 + w1*x1 + b = 0`` before and after training
    (and, when given, at the objective's exact optimum).

    ``x`` holds the model's (scaled) inputs; with ``feature_scale`` (each column's divisor)
    the axes show the original scores and the lines are mapped with ``w_i / scale_i``. Each
    line is clipped to the plotted data box; one that misses it is named in the legend.
    """
    scale = np.ones(2) if feature_scale is None else np.asarray(feature_scale, float)
    xp = np.asarray(x, float) * scale
    ya = np.asarray(y).astype(int).ravel()
    box = _box(xp)
    fig, axes = new_figure(7.0, 6.0)
    ax = axes[0, 0]
    _scatter_classes(ax, xp, ya, class_names)
    lines = [("after training", after, "C2", "-")]
    if before is not None:
        lines.insert(0, ("before training", before, "0.45", "--"))
    if optimum is not None:
        lines.append(("exact optimum", optimum, "black", ":"))
    for label, (w, b), color, style in lines:
        w_plot = np.asarray(w, float).ravel() / scale
        segment = clip_line(w_plot[0], w_plot[1], float(b), box)
        text = f"{label}: {w_plot[0]:.3g}·x₀ {signed(w_plot[1])}·x₁ {signed(float(b))} = 0"
        if segment is None:
            ax.plot([], [], color=color, linestyle=style, label=text + " (outside the plot)")
        else:
            ax.plot(*segment, color=color, linestyle=style, linewidth=2, label=text)
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    unit = "points" if feature_scale is not None else "÷ column maximum"
    ax.set_xlabel(f"exam 1 score ({unit})")
    ax.set_ylabel(f"exam 2 score ({unit})")
    ax.set_title(title)
    fig.legend(loc="outside lower center", ncols=1, fontsize=8)  # long equations: one a row
    return fig


def score_sigmoid(scores: np.ndarray, y: np.ndarray, *, title: str) -> Figure:
    """Each example at its score z = w·x + b, at height 0 or 1 by label, under σ(z)."""
    z = np.asarray(scores, float).ravel()
    ya = np.asarray(y).astype(int).ravel()
    span = max(abs(z.min()), abs(z.max()), 1.0) * 1.1
    grid = np.linspace(-span, span, 400)
    fig, axes = new_figure(7.0, 4.5)
    ax = axes[0, 0]
    ax.plot(grid, sigmoid(grid), color="0.2", linewidth=2, label="σ(z): predicted P(y = 1)")
    ax.axhline(0.5, color="0.5", linestyle="--", linewidth=1)
    ax.axvline(0.0, color="0.5", linestyle="--", linewidth=1, label="z = 0: decision threshold")
    jitter = np.random.default_rng(0).uniform(-0.03, 0.03, z.size)
    wrong = (z > 0).astype(int) != ya
    for cls in (0, 1):
        mask = ya == cls
        ax.scatter(
            z[mask],
            cls + jitter[mask],
            s=24,
            color=CLASS_COLORS[cls],
            edgecolor="black",
            linewidth=0.4,
            label=f"y = {cls} ({int(mask.sum())})",
        )
    if wrong.any():
        ax.scatter(
            z[wrong],
            ya[wrong] + jitter[wrong],
            s=90,
            facecolor="none",
            edgecolor="black",
            label=f"misclassified ({int(wrong.sum())})",
        )
    ax.set_xlabel("score z = w·x + b (logit, nats)")
    ax.set_ylabel("label / probability")
    ax.set_ylim(-0.12, 1.12)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="center left", fontsize=8)
    return fig


def decision_regions(
    predict: Callable[[np.ndarray], np.ndarray],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    *,
    title: str,
    resolution: int = 250,
) -> Figure:
    """Predicted class over a grid (shaded) with the training and test points on top.

    ``predict`` maps ``[m, 2]`` points to class indices; inputs with more than two features
    are shown in their first two, the others held at 0 by the caller's ``predict``.
    """
    parts = [np.asarray(x_train, float)[:, :2]]
    if x_test is not None:
        parts.append(np.asarray(x_test, float)[:, :2])
    box = _box(np.concatenate(parts), pad=0.1)
    gx, gy = np.meshgrid(
        np.linspace(box[0], box[1], resolution), np.linspace(box[2], box[3], resolution)
    )
    classes = predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    n_classes = int(max(classes.max(), np.max(y_train)) + 1)
    colors = [CLASS_COLORS[i % 2] if n_classes <= 2 else f"C{i}" for i in range(n_classes)]
    fig, axes = new_figure(6.5, 5.5)
    ax = axes[0, 0]
    ax.contourf(
        gx,
        gy,
        classes,
        levels=np.arange(n_classes + 1) - 0.5,
        cmap=ListedColormap(colors),
        alpha=0.18,
    )
    ax.contour(gx, gy, classes, levels=np.arange(n_classes) + 0.5, colors="black", linewidths=1)
    ax.plot(
        [], [], color="black", linewidth=1, label="decision boundary (shading: predicted class)"
    )
    for split, xs, ys, marker in (("train", x_train, y_train, "o"), ("test", x_test, y_test, "^")):
        if xs is None or ys is None:
            continue
        xs, ys = np.asarray(xs, float), np.asarray(ys).astype(int).ravel()
        for cls in range(n_classes):
            mask = ys == cls
            ax.scatter(
                xs[mask, 0],
                xs[mask, 1],
                s=26,
                marker=marker,
                color=colors[cls],
                edgecolor="black",
                linewidth=0.4,
                label=f"{split}, class {cls}",
            )
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_xlabel("feature x₀ (data units)")
    ax.set_ylabel("feature x₁ (data units)")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    return fig
