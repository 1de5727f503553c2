"""One-input models and lesson illustrations: P(pass) curves, fitted lines, activations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from lrlab.plotting.common import CLASS_COLORS, REFERENCE_STYLE, new_figure, signed


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, computed without overflow warnings."""
    z = np.asarray(z, dtype=float)
    return np.exp(-np.logaddexp(0.0, -z))


def probability_curve(
    x: Sequence[float],
    y: Sequence[float],
    weight: float,
    bias: float,
    *,
    title: str,
    queries: Sequence[float] = (),
    x_range: tuple[float, float] = (0.0, 10.0),
    x_label: str = "hours studied (h)",
) -> Figure:
    """P(pass) = sigmoid(w x + b) over ``x_range`` with the 0.5 line and the training points."""
    fig, axes = new_figure(7.0, 4.5)
    ax = axes[0, 0]
    grid = np.linspace(*x_range, 400)
    ax.plot(
        grid,
        sigmoid(weight * grid + bias),
        color="C0",
        linewidth=2,
        label=f"P(pass) = σ({weight:.3g}·x {signed(bias)})",
    )
    ax.axhline(0.5, color="C3", linewidth=1, label="P = 0.5")
    if weight != 0:
        threshold = -bias / weight
        if x_range[0] <= threshold <= x_range[1]:
            ax.axvline(
                threshold,
                color="C3",
                linestyle=":",
                linewidth=1,
                label=f"boundary x = {threshold:.2f} h",
            )
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    for cls, name in ((0, "fail (y = 0)"), (1, "pass (y = 1)")):
        mask = ya == cls
        ax.scatter(
            xa[mask],
            ya[mask],
            s=60,
            color=CLASS_COLORS[cls],
            edgecolor="black",
            zorder=3,
            label=f"training: {name}",
        )
    for q in queries:
        p = float(sigmoid(weight * q + bias))
        ax.plot([q], [p], marker="D", color="black", zorder=4)
        ax.annotate(
            f"P({q:g} h) = {p:.3f}",
            (q, p),
            textcoords="offset points",
            xytext=(8, -14),
            fontsize=9,
        )
    ax.set_xlim(*x_range)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel(x_label)
    ax.set_ylabel("probability of passing")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def linear_fit(
    x: Sequence[float],
    y: Sequence[float],
    weight: float,
    bias: float,
    *,
    title: str,
    true_line: tuple[float, float] | None = None,
    reference_line: tuple[float, float] | None = None,
    queries: Mapping[float, float] | None = None,
    x_test: Sequence[float] | None = None,
    y_test: Sequence[float] | None = None,
) -> Figure:
    """Data points and the fitted line; optionally the true and least-squares lines."""
    fig, axes = new_figure(7.0, 4.5)
    ax = axes[0, 0]
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    many = xa.size > 100
    ax.scatter(
        xa,
        ya,
        s=8 if many else 40,
        alpha=0.35 if many else 0.9,
        color="C2",
        edgecolor="none" if many else "black",
        label=f"training data ({xa.size})",
    )
    if x_test is not None and y_test is not None and len(x_test):
        ax.scatter(
            x_test,
            y_test,
            s=8 if many else 40,
            marker="x",
            color="C4",
            label=f"test data ({len(x_test)})",
        )
    xs = [xa.min(), xa.max(), *(queries or {})]
    lo, hi = min(xs), max(xs)
    pad = 0.05 * (hi - lo or 1.0)
    grid = np.array([lo - pad, hi + pad])
    if true_line is not None:
        ax.plot(
            grid,
            true_line[0] * grid + true_line[1],
            color="C0",
            linewidth=6,
            alpha=0.4,
            label=f"true line: y = {true_line[0]:.4g}·x {signed(true_line[1], 4)}",
        )
    if reference_line is not None:
        ax.plot(
            grid,
            reference_line[0] * grid + reference_line[1],
            label=f"least squares: y = {reference_line[0]:.4g}·x {signed(reference_line[1], 4)}",
            **REFERENCE_STYLE,
        )
    ax.plot(
        grid,
        weight * grid + bias,
        color="C3",
        linewidth=1.8,
        label=f"fitted: y = {weight:.4g}·x {signed(bias, 4)}",
    )
    for q, value in (queries or {}).items():
        ax.plot([q], [value], marker="D", color="black", zorder=4)
        ax.annotate(
            f"predict({q:g}) = {value:.3f}",
            (q, value),
            textcoords="offset points",
            xytext=(-10, 8),
            ha="right",
            fontsize=9,
        )
    ax.set_xlabel("x (input feature)")
    ax.set_ylabel("y (target)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return fig


def activations() -> Figure:
    """relu, sigmoid, tanh and softplus over [-5, 5] in a 2x2 grid (lesson 003)."""
    x = np.linspace(-5.0, 5.0, 200)
    panels = (
        ("relu", np.maximum(x, 0.0), (-1.0, 5.0), "max(0, x)"),
        ("sigmoid", sigmoid(x), (-0.2, 1.2), "1 / (1 + e^(−x))"),
        ("tanh", np.tanh(x), (-1.2, 1.2), "tanh(x)"),
        ("softplus", np.logaddexp(0.0, x), (-0.2, 6.0), "ln(1 + e^x)"),
    )
    fig, axes = new_figure(8.0, 6.0, 2, 2)
    for ax, (name, y, ylim, formula) in zip(axes.flat, panels, strict=True):
        ax.plot(x, y, color="C3", linewidth=2, label=f"{name}: {formula}")
        ax.axhline(0, color="0.6", linewidth=0.8)
        ax.axvline(0, color="0.6", linewidth=0.8)
        ax.set_ylim(*ylim)
        ax.set_xlabel("input x")
        ax.set_ylabel(f"{name}(x)")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize=9)
    fig.suptitle("Activation functions (lesson 003)")
    return fig


def sigmoid_curve() -> Figure:
    """σ(z) = 1 / (1 + e^(−z)) over [-10, 10] with the 0.5 threshold (lesson 002)."""
    z = np.linspace(-10.0, 10.0, 400)
    fig, axes = new_figure(6.0, 4.0)
    ax = axes[0, 0]
    ax.plot(z, sigmoid(z), color="C3", linewidth=2, label="σ(z) = 1 / (1 + e^(−z))")
    ax.axhline(0.5, color="0.4", linestyle="--", linewidth=1, label="σ(0) = 0.5: class threshold")
    ax.axvline(0, color="0.6", linewidth=0.8)
    ax.set_xlabel("score z = w·x + b (logit)")
    ax.set_ylabel("σ(z), probability of class 1")
    ax.set_title("The sigmoid maps any score to a probability (lesson 002)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    return fig
