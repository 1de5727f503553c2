"""How each figure of the catalogue is drawn: ``DRAW[name](inputs) -> Figure``.

The keys are exactly the names in :mod:`lrlab.plotting.catalogue` (a test checks this);
each function takes a variant's :class:`~lrlab.plotting.inputs.Inputs` and calls the pure
figure functions of the plotting package with plain arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from lrlab.plotting import boundary, curves, images, lines
from lrlab.plotting.inputs import Inputs, first
from lrlab.plotting.model_params import predict_classes


def _curves(c: Inputs) -> Figure:
    return curves.training_curves(
        c.epochs,
        c.loss,
        c.accuracy if c.cfg.task == "classification" else None,
        loss_name=c.cfg.loss,
        title=c.title,
        reference_loss=c.ref_loss,
        reference_accuracy=c.ref_acc,
        test_accuracy=(c.metrics.get("test") or {}).get("accuracy"),
        test_curve=c.test_curve,
        step_losses={s / c.steps_per_epoch: v for s, v in c.step_losses.items()},
        reference_label=c.ref_label,
        note=c.note,
    )


def _baseline(c: Inputs) -> Figure:
    return curves.majority_baseline(
        c.epochs,
        c.loss,
        c.accuracy if c.accuracy is not None else np.zeros_like(c.loss),
        positive_rate=float(np.mean(c.y)),
        loss_name=c.cfg.loss,
        title=c.title,
    )


def _samples(c: Inputs) -> Figure:
    xs, ys, split = (c.x_test, c.y_test, "test") if c.has_test else (c.x, c.y, "training")
    names = c.class_names
    idx = images.pick_samples(ys, len(names), per_class=2)
    return images.sample_grid(xs[idx], ys[idx], names, title=f"{c.cfg.dataset}: {split} images")


def _first_image(c: Inputs) -> Figure:
    title = f"{c.cfg.dataset}: training image 0"
    return images.sample_grid(c.x[:1], c.y[:1], c.class_names, title=title, ncols=1, cell=3.2)


def _confusion(c: Inputs) -> Figure:
    return images.confusion_matrix(
        c.predictions["actual"].astype(int),
        c.predictions["predicted"].astype(int),
        c.class_names,
        title=f"{c.key}: confusion matrix",
    )


def _regions(c: Inputs) -> Figure:
    def predict(points: np.ndarray) -> np.ndarray:
        full = np.zeros((len(points), c.x.shape[1]))
        full[:, :2] = points  # features beyond the first two held at 0
        return predict_classes(c.layers, full, c.cfg.model.activation)

    test = (c.x_test, c.y_test) if c.has_test else (None, None)
    return boundary.decision_regions(predict, c.x, c.y, *test, title=c.title)


def _weights(c: Inputs) -> Figure:
    weight, _ = c.linear
    return images.softmax_weights(
        weight,
        c.class_names,
        title=f"{c.key}: the weight of every pixel in each class score\n"
        "(red: ink there raises the score, blue: lowers it)",
    )


def _probability(c: Inputs) -> Figure:
    weight, bias = c.linear
    w, b = float(weight[0, 0]), float(bias[0])
    return lines.probability_curve(
        c.x[:, 0], c.y, w, b, title=c.title, queries=[p[0] for p in c.cfg.query_points]
    )


def _fit(c: Inputs) -> Figure:
    weight, bias = c.linear
    w, b = float(weight[0, 0]), float(bias[0])
    true_w, ref_w = first(c.info.get("true_weight")), first(c.ref.get("weight"))
    return lines.linear_fit(
        c.x[:, 0],
        c.y,
        w,
        b,
        title=c.title,
        true_line=None if true_w is None else (true_w, first(c.info.get("true_bias")) or 0.0),
        reference_line=None if ref_w is None else (ref_w, first(c.ref.get("bias")) or 0.0),
        queries={q: w * q + b for (q,) in c.cfg.query_points},
        x_test=c.x_test[:, 0] if c.has_test else None,
        y_test=c.y_test,
    )


def _boundary(c: Inputs) -> Figure:
    weight, bias = c.linear
    start_w, start_b = c.initial_linear
    ref_w, ref_b = c.ref.get("weight"), first(c.ref.get("bias"))
    exact = c.cfg.is_convex and not c.ref.get("separable") and ref_w is not None
    return boundary.exam_boundary(
        c.x,
        c.y,
        (weight[0], float(bias[0])),
        (start_w[0], float(start_b[0])),
        optimum=(np.asarray(ref_w, float).ravel(), ref_b or 0.0) if exact else None,
        title=f"{c.title}\ndecision boundary w₀x₀ + w₁x₁ + b = 0 before and after training",
        feature_scale=c.info.get("feature_scale"),
    )


def _sigmoid(c: Inputs) -> Figure:
    weight, bias = c.linear
    scores = c.x @ weight[0] + bias[0]
    return boundary.score_sigmoid(scores, c.y, title=f"{c.title}\nafter training")


DRAW: dict[str, Callable[[Inputs], Figure]] = {
    "curves": _curves,
    "probability": _probability,
    "fit": _fit,
    "boundary": _boundary,
    "sigmoid": _sigmoid,
    "baseline": _baseline,
    "regions": _regions,
    "samples": _samples,
    "first_image": _first_image,
    "confusion": _confusion,
    "weights": _weights,
}
LESSON_DRAW: dict[str, Callable[[], Figure]] = {
    "activations": lines.activations,
    "sigmoid": lines.sigmoid_curve,
}
