"""Per-epoch training curves: loss and accuracy, against references where one exists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lrlab.plotting.common import (
    REFERENCE_STYLE,
    as_percent,
    loss_label,
    new_figure,
    use_log_scale,
    wants_log_scale,
)


def _epoch_axes(ax: Axes) -> None:
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)


def _loss_axes(ax: Axes, epochs: np.ndarray, loss: np.ndarray, label: str, **style) -> None:
    ax.plot(
        epochs, loss, marker="o" if len(epochs) <= 30 else None, markersize=3, label=label, **style
    )
    _epoch_axes(ax)


def _note(ax: Axes, note: str | None) -> None:
    """A text-only legend entry."""
    if note:
        ax.plot([], [], linestyle="none", label=note)


def _reference(ax: Axes, curve: np.ndarray, value: float | None, label: str) -> float:
    """Draw the reference loss as a dashed line; one far below the curve (an exact fit's
    ~0) is only named, so it does not flatten the curve. Returns what the axis must show."""
    if value is None:
        return np.nan
    if curve.size and value < 1e-3 * np.nanmin(curve):
        _note(ax, f"{label}: {'≈ 0' if abs(value) < 1e-12 else f'{value:.3g}'} (below the plot)")
        return np.nan
    ax.axhline(value, label=f"{label}: {value:.4g}", **REFERENCE_STYLE)
    return value


def training_curves(
    epochs: Sequence[float],
    loss: Sequence[float],
    accuracy: Sequence[float] | None = None,
    *,
    loss_name: str,
    title: str,
    reference_loss: float | None = None,
    reference_accuracy: float | None = None,
    test_accuracy: float | None = None,
    test_curve: Sequence[float] | None = None,
    step_losses: Mapping[float, Sequence[float]] | None = None,
    reference_label: str = "exact optimum",
    note: str | None = None,
) -> Figure:
    """Training loss (and accuracy, when given) per epoch; references as dashed lines.

    ``test_curve`` is the test accuracy after each epoch, drawn beside the training accuracy.
    ``step_losses`` maps a batch's place in the epoch (a fraction, 1 at its end) to that
    batch's loss in each epoch (``log_every``): dots at ``epoch - 1 + fraction``.
    ``note`` adds a text-only legend line, e.g. why no optimum is drawn.
    """
    epochs_a, loss_a = np.asarray(epochs, float), np.asarray(loss, float)
    has_acc = accuracy is not None
    fig, axes = new_figure(10.0 if has_acc else 6.0, 4.0, 1, 2 if has_acc else 1)
    ax = axes[0, 0]
    _loss_axes(ax, epochs_a, loss_a, "training loss", color="C0")
    if step_losses:
        xs = np.concatenate([epochs_a - 1 + f for f in step_losses])
        ys = np.concatenate([np.asarray(v, float) for v in step_losses.values()])
        order = np.argsort(xs)
        ax.plot(
            xs[order],
            ys[order],
            ".",
            color="C0",
            alpha=0.35,
            markersize=3,
            label="single-batch loss, as the lesson prints it",
        )
    shown = _reference(ax, loss_a, reference_loss, reference_label)
    _note(ax, note)
    if wants_log_scale(np.append(loss_a, shown)):
        use_log_scale(ax)
    ax.set_ylabel(loss_label(loss_name))
    ax.set_title(f"loss (last: {loss_a[-1]:.4g})" if loss_a.size else "loss")
    ax.legend(loc="upper right", fontsize=9)
    if has_acc:
        ax = axes[0, 1]
        acc = as_percent(accuracy)
        ax.plot(
            epochs_a,
            acc,
            color="C2",
            marker="o" if len(epochs_a) <= 30 else None,
            markersize=3,
            label="training accuracy",
        )
        if test_curve is not None:
            ax.plot(epochs_a, as_percent(test_curve), color="C3", label="test accuracy")
        if reference_accuracy is not None:
            ref = float(as_percent([reference_accuracy])[0])
            ax.axhline(ref, label=f"at the {reference_label}: {ref:.2f} %", **REFERENCE_STYLE)
        if test_accuracy is not None and epochs_a.size:
            test = float(as_percent([test_accuracy])[0])
            ax.plot(
                [epochs_a[-1]],
                [test],
                marker="*",
                markersize=12,
                color="C3",
                linestyle="none",
                label=f"test accuracy (final): {test:.2f} %",
            )
        _epoch_axes(ax)
        ax.set_ylabel("accuracy (%)")
        ax.set_title(f"accuracy (last: {acc[-1]:.2f} %)" if acc.size else "accuracy")
        ax.legend(loc="lower right")
    fig.suptitle(title)
    return fig


def binary_entropy(p: float) -> float:
    """Entropy in nats of a Bernoulli(p): the loss of always predicting the class prior."""
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return float(-(p * np.log(p) + (1 - p) * np.log(1 - p)))


def majority_baseline(
    epochs: Sequence[float],
    loss: Sequence[float],
    accuracy: Sequence[float],
    *,
    positive_rate: float,
    loss_name: str,
    title: str,
) -> Figure:
    """Loss against the prior's entropy and accuracy against the majority-class rate.

    A network that outputs the class prior for every input has loss ``H(p)`` and accuracy
    ``max(p, 1 - p)``; a curve that flattens there has learned nothing about the features.
    """
    epochs_a, loss_a = np.asarray(epochs, float), np.asarray(loss, float)
    acc = as_percent(accuracy)
    h = binary_entropy(positive_rate)
    majority = 100.0 * max(positive_rate, 1.0 - positive_rate)
    fig, axes = new_figure(10.0, 4.0, 1, 2)
    ax = axes[0, 0]
    _loss_axes(ax, epochs_a, loss_a, f"training loss (last {loss_a[-1]:.4f})", color="C0")
    ax.axhline(
        h,
        color="C3",
        linestyle="--",
        label=f"predict the prior p = {positive_rate:.3f}: H(p) = {h:.4f}",
    )
    ax.set_ylabel(loss_label(loss_name))
    ax.set_title("loss vs the class-prior loss")
    ax.legend(loc="upper right")
    ax = axes[0, 1]
    ax.plot(epochs_a, acc, color="C2", label=f"training accuracy (last {acc[-1]:.1f} %)")
    ax.axhline(majority, color="C3", linestyle="--", label=f"majority class: {majority:.1f} %")
    _epoch_axes(ax)
    ax.set_ylabel("accuracy (%)")
    ax.set_title("accuracy vs always predicting the majority class")
    ax.legend(loc="lower right")
    fig.suptitle(title)
    return fig
