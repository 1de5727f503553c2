"""plots stage: render every figure of :func:`lrlab.plotting.plan.plan_figures` as PNG.

Reads each variant's ``plots/<variant>/history.csv``, ``predictions.csv``,
``metrics/<variant>.json``, ``models/<variant>.pt`` and the prepared datasets, and writes
``plots/<variant>/<figure>.png`` plus the shared ``plots/lessons/*.png`` atomically, in one
process. ``--dvc-yaml`` prints the dvc.yaml entries that declare all of this instead.

    python -m stages.plots [--root DIR] [--only VARIANT ...] [--dvc-yaml]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from lrlab.config import ParamsFile, VariantConfig
from lrlab.datasets.prepared import PreparedData
from lrlab.errors import LrlabError
from lrlab.io import write_bytes
from lrlab.plotting import boundary, curves, images, lines
from lrlab.plotting.artifacts import Artifacts
from lrlab.plotting.common import to_png
from lrlab.plotting.model_params import (
    initial_linear,
    predict_classes,
)
from lrlab.plotting.plan import (
    SHARED,
    FigureSpec,
    dvc_proposal,
    plan_figures,
    proposal_yaml,
    torch_peer,
)
from stages._cli import run


def _np(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy() if hasattr(tensor, "detach") else np.asarray(tensor)


def _first(value: Any) -> float | None:
    """The first number of a scalar or (nested) list, e.g. a stored 1x1 weight."""
    if value is None:
        return None
    arr = np.asarray(value, dtype=float).ravel()
    return float(arr[0]) if arr.size else None


def describe(key: str, cfg: VariantConfig) -> str:
    """Short title: variant, dataset, model and optimizer."""
    sizes = "-".join(map(str, cfg.model.sizes))
    batch = "" if cfg.batch_size == "full" else f", batch {cfg.batch_size}"
    opt = cfg.optimizer
    return f"{key}: {cfg.dataset}, {cfg.model.kind} {sizes}, {opt.name} lr {opt.lr:g}{batch}"


def _history_arrays(a: Artifacts, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    h = a.history(key)
    acc = h["train_accuracy"].to_numpy() if "train_accuracy" in h.columns else None
    return h["epoch"].to_numpy(), h["train_loss"].to_numpy(), acc


def _class_names(data: PreparedData) -> list[str]:
    n = int(data.info.get("num_classes") or int(_np(data.y_train).max()) + 1)
    return [str(c) for c in data.info.get("class_names") or range(n)]


class Context:
    """What every variant figure starts from: its config, metrics and training history."""

    def __init__(self, key: str, a: Artifacts) -> None:
        self.key, self.a, self.cfg = key, a, a.variants[key]
        self.title = describe(key, self.cfg)
        self.metrics = a.metrics(key)
        self.ref: dict[str, Any] = self.metrics.get("reference") or {}
        method = self.ref.get("method")
        self.ref_label = f"exact optimum ({method})" if method else "exact optimum"
        # an MLP's reference is a baseline, not its optimum: drawn only where it is the point
        exact = self.cfg.is_convex and not self.ref.get("separable")
        self.ref_loss = self.ref.get("train_loss") if exact else None
        self.ref_acc = self.ref.get("train_accuracy") if exact else None
        self.note = (
            "separable data: no finite optimum (loss → 0)"
            if self.cfg.is_convex and self.ref.get("separable")
            else None
        )
        self.epochs, self.loss, self.acc = _history_arrays(a, key)

    @property
    def data(self) -> PreparedData:
        return self.a.data(self.cfg.dataset)

    def train(self) -> tuple[np.ndarray, np.ndarray]:
        return _np(self.data.x_train), _np(self.data.y_train)

    def test(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        data = self.data
        return (_np(data.x_test), _np(data.y_test)) if data.has_test else (None, None)


def fig_curves(c: Context) -> Figure:
    return curves.training_curves(
        c.epochs,
        c.loss,
        c.acc if c.cfg.task == "classification" else None,
        loss_name=c.cfg.loss,
        title=c.title,
        reference_loss=c.ref_loss,
        reference_accuracy=c.ref_acc,
        test_accuracy=(c.metrics.get("test") or {}).get("accuracy"),
        reference_label=c.ref_label,
        note=c.note,
    )


def fig_compare(c: Context) -> Figure:
    peer = torch_peer(c.key, c.a.variants)
    p_epochs, p_loss, _ = _history_arrays(c.a, peer)
    series = [
        (f"{c.key} (NumPy gradient descent)", c.epochs, c.loss),
        (f"{peer} (torch, {c.a.variants[peer].optimizer.name})", p_epochs, p_loss),
    ]
    return curves.loss_comparison(
        series,
        loss_name=c.cfg.loss,
        title=f"{c.cfg.dataset}: NumPy model vs torch model",
        reference_loss=c.ref_loss,
        reference_label=c.ref_label,
        note=c.note,
    )


def fig_baseline(c: Context) -> Figure:
    _, y = c.train()
    return curves.majority_baseline(
        c.epochs,
        c.loss,
        c.acc if c.acc is not None else np.zeros_like(c.loss),
        positive_rate=float(np.mean(y)),
        loss_name=c.cfg.loss,
        title=c.title,
    )


def fig_samples(c: Context) -> Figure:
    xs, ys = c.test()
    split = "test"
    if xs is None:
        (xs, ys), split = c.train(), "training"
    names = _class_names(c.data)
    idx = images.pick_samples(ys, len(names), per_class=2)
    return images.sample_grid(xs[idx], ys[idx], names, title=f"{c.cfg.dataset}: {split} images")


def fig_confusion(c: Context) -> Figure:
    pred = c.a.predictions(c.key)
    return images.confusion_matrix(
        pred["actual"].to_numpy(int),
        pred["predicted"].to_numpy(int),
        _class_names(c.data),
        title=f"{c.key}: confusion matrix",
    )


def fig_regions(c: Context) -> Figure:
    layers = c.a.layers(c.key)
    x, y = c.train()

    def predict(points: np.ndarray) -> np.ndarray:
        full = np.zeros((len(points), x.shape[1]))
        full[:, :2] = points  # features beyond the first two held at 0
        return predict_classes(layers, full, c.cfg.model.activation)

    return boundary.decision_regions(predict, x, y, *c.test(), title=c.title)


def fig_weights(c: Context) -> Figure:
    weight, _ = c.a.linear(c.key)
    names = _class_names(c.data)
    return images.softmax_weights(
        weight,
        names,
        title=f"{c.key}: the weight of every pixel in each class score\n"
        "(red: ink there raises the score, blue: lowers it)",
    )


def fig_probability(c: Context) -> Figure:
    weight, bias = c.a.linear(c.key)
    x, y = c.train()
    w, b = float(weight[0, 0]), float(bias[0])
    return lines.probability_curve(x[:, 0], y, w, b, title=c.title, queries=c.cfg.query)


def fig_fit(c: Context) -> Figure:
    weight, bias = c.a.linear(c.key)
    w, b = float(weight[0, 0]), float(bias[0])
    x, y = c.train()
    xt, yt = c.test()
    info = c.data.info
    true_w = _first(info.get("true_weight"))
    ref_w = _first(c.ref.get("weight"))
    return lines.linear_fit(
        x[:, 0],
        y,
        w,
        b,
        title=c.title,
        true_line=None if true_w is None else (true_w, _first(info.get("true_bias")) or 0.0),
        reference_line=None if ref_w is None else (ref_w, _first(c.ref.get("bias")) or 0.0),
        queries={q: w * q + b for q in c.cfg.query},
        x_test=None if xt is None else xt[:, 0],
        y_test=yt,
    )


def fig_boundary(c: Context) -> Figure:
    weight, bias = c.a.linear(c.key)
    meta = c.a.checkpoint(c.key).get("meta") or {}
    start_w, start_b = initial_linear(
        2, c.a.seed + c.cfg.seed_offset, meta.get("initial_state_dict")
    )
    x, y = c.train()
    ref_w, ref_b = c.ref.get("weight"), _first(c.ref.get("bias"))
    exact = c.cfg.is_convex and not c.ref.get("separable") and ref_w is not None
    return boundary.exam_boundary(
        x,
        y,
        (weight[0], float(bias[0])),
        (start_w[0], float(start_b[0])),
        optimum=(np.asarray(ref_w, float).ravel(), ref_b or 0.0) if exact else None,
        title=f"{c.title}\ndecision boundary w₀x₀ + w₁x₁ + b = 0 before and after training",
        feature_scale=c.data.info.get("feature_scale"),
    )


def fig_sigmoid(c: Context) -> Figure:
    weight, bias = c.a.linear(c.key)
    x, y = c.train()
    scores = x @ weight[0] + bias[0]
    return boundary.score_sigmoid(scores, y, title=f"{c.title}\nafter training")


VARIANT_FIGURES: dict[str, Callable[[Context], Figure]] = {
    "curves": fig_curves,
    "numpy_vs_torch": fig_compare,
    "baseline": fig_baseline,
    "samples": fig_samples,
    "confusion": fig_confusion,
    "regions": fig_regions,
    "weights": fig_weights,
    "probability": fig_probability,
    "fit": fig_fit,
    "boundary": fig_boundary,
    "sigmoid": fig_sigmoid,
}
SHARED_FIGURES: dict[str, Callable[[], Figure]] = {
    "activations": lines.activations,
    "sigmoid_curve": lines.sigmoid_curve,
}


def render(spec: FigureSpec, a: Artifacts) -> Figure:
    """The figure for ``spec``, drawn from the artifacts it needs."""
    if spec.kind in SHARED_FIGURES:
        return SHARED_FIGURES[spec.kind]()
    return VARIANT_FIGURES[spec.kind](Context(spec.owner, a))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m stages.plots", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    parser.add_argument("--only", nargs="+", metavar="VARIANT", help="render these variants")
    parser.add_argument("--dvc-yaml", action="store_true", help="print dvc.yaml entries; exit")
    args = parser.parse_args(argv)
    params = ParamsFile(args.root / "params.yaml")
    variants = {key: params.variant(key) for key in params.variant_keys()}
    if args.dvc_yaml:
        print(proposal_yaml(dvc_proposal(variants)), end="")
        return
    specs = plan_figures(variants)
    if args.only:
        unknown = sorted(set(args.only) - set(variants) - {SHARED})
        if unknown:
            raise LrlabError(f"--only: unknown variants {unknown}; known: {', '.join(variants)}")
        specs = [s for s in specs if s.owner in args.only]
    artifacts = Artifacts(args.root, variants, params.seed())
    start = time.perf_counter()
    for spec in specs:
        write_bytes(args.root / spec.path, to_png(render(spec, artifacts)))
    print(f"plots: wrote {len(specs)} figures in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    run(main)
