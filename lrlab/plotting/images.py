"""Image classifiers: sample images, the confusion matrix, softmax weights as images."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from lrlab.plotting.common import new_figure


def _as_images(x: np.ndarray) -> np.ndarray:
    """``[n, 784]`` (or ``[n, 28, 28]``) to ``[n, side, side]``."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 3:
        return arr
    side = int(round(np.sqrt(arr.shape[1])))
    if side * side != arr.shape[1]:
        raise ValueError(f"rows of {arr.shape[1]} values are not square images")
    return arr.reshape(arr.shape[0], side, side)


def pick_samples(labels: np.ndarray, num_classes: int, per_class: int = 2) -> np.ndarray:
    """Indices of the first ``per_class`` examples of each class, class by class."""
    labels = np.asarray(labels).ravel()
    picked = [np.flatnonzero(labels == c)[:per_class] for c in range(num_classes)]
    return np.concatenate(picked).astype(int) if picked else np.array([], dtype=int)


def sample_grid(
    images: np.ndarray,
    labels: Sequence[int],
    class_names: Sequence[str],
    *,
    title: str,
    ncols: int = 10,
    cell: float = 1.15,
) -> Figure:
    """Images in a grid of ``cell``-inch cells, each titled with its label's class name (dark
    ink on white)."""
    imgs = _as_images(images)
    labels = np.asarray(labels).astype(int).ravel()
    nrows = max(1, int(np.ceil(len(imgs) / ncols)))
    fig, axes = new_figure(cell * ncols, (cell + 0.2) * nrows + 0.5, nrows, ncols)
    lo, hi = float(imgs.min()), float(imgs.max())
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < len(imgs):
            ax.imshow(imgs[index], cmap="gray_r", vmin=lo, vmax=hi, interpolation="nearest")
            label = labels[index]
            name = class_names[label] if label < len(class_names) else str(label)
            text = name if name == str(label) else f"{label}: {name}"
            ax.set_title(text, fontsize=8 if cell < 2 else 12)
    fig.suptitle(title)
    return fig


def confusion_counts(actual: Sequence[int], predicted: Sequence[int], n: int) -> np.ndarray:
    """``counts[true, predicted]`` for classes ``0..n-1``."""
    counts = np.zeros((n, n), dtype=int)
    np.add.at(counts, (np.asarray(actual, int), np.asarray(predicted, int)), 1)
    return counts


def confusion_matrix(
    actual: Sequence[int], predicted: Sequence[int], class_names: Sequence[str], *, title: str
) -> Figure:
    """Counts per (true, predicted) class; colour is the share of the true class (row)."""
    n = len(class_names)
    counts = confusion_counts(actual, predicted, n)
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0) * 100
    accuracy = 100.0 * np.trace(counts) / max(counts.sum(), 1)
    fig, axes = new_figure(8.0, 7.0)
    ax = axes[0, 0]
    # a power scale keeps 1-2 % confusions visible next to a 95 % diagonal
    image = ax.imshow(share, cmap="Blues", norm=PowerNorm(0.4, vmin=0, vmax=100))
    for i in range(n):
        for j in range(n):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    str(counts[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if share[i, j] > 30 else "black",
                )
    ax.set_xticks(range(n), class_names, rotation=40, ha="right", fontsize=9)
    ax.set_yticks(range(n), class_names, fontsize=9)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"{title}\n{counts.sum()} test images, accuracy {accuracy:.2f} %")
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true class (%)")
    return fig


def softmax_weights(weight: np.ndarray, class_names: Sequence[str], *, title: str) -> Figure:
    """Each class's weight vector as an image: red pixels raise the class score when inked."""
    imgs = _as_images(weight)
    limit = float(np.abs(imgs).max()) or 1.0
    ncols = 5
    nrows = int(np.ceil(len(imgs) / ncols))
    fig, axes = new_figure(10.0, 2.1 * nrows + 0.7, nrows, ncols)
    image = None
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < len(imgs):
            image = ax.imshow(imgs[index], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(class_names[index] if index < len(class_names) else str(index), fontsize=9)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8, label="weight (per normalized pixel)")
    fig.suptitle(title)
    return fig
