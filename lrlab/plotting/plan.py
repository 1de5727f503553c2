"""Which figures exist and where: one fixed list derived from params.yaml alone.

The ``plots`` stage renders exactly :func:`plan_figures`, the report links exactly the
same list, and :func:`dvc_proposal` turns it into the dvc.yaml entries (stage outputs,
inputs and the top-level ``plots:`` section), so the three never drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lrlab.config import VariantConfig

IMAGE_DATASETS = ("mnist", "fashion-mnist")
# listed file by file: a directory dependency would also hash __pycache__
PLOTTING_MODULES = (
    "artifacts", "boundary", "common", "curves", "images", "lines", "model_params", "plan"
)  # fmt: skip
SHARED = "lessons"

# what each figure kind reads besides history.csv and metrics/<variant>.json
_NEEDS = {
    "curves": (),
    "probability": ("model", "data"),
    "fit": ("model", "data"),
    "boundary": ("model", "data"),
    "sigmoid": ("model", "data"),
    "regions": ("model", "data"),
    "baseline": ("data",),
    "numpy_vs_torch": ("peer",),
    "samples": ("data",),
    "confusion": ("predictions", "data"),
    "weights": ("model", "data"),
}


@dataclass(frozen=True)
class FigureSpec:
    """One PNG: ``plots/<owner>/<name>.png``, owner a variant or ``lessons``."""

    owner: str
    name: str
    kind: str
    caption: str

    @property
    def path(self) -> str:
        return f"plots/{self.owner}/{self.name}.png"


def shared_figures() -> list[FigureSpec]:
    return [
        FigureSpec(SHARED, "activations", "activations",
                   "relu, sigmoid, tanh and softplus over [-5, 5] (lesson 003)"),
        FigureSpec(SHARED, "sigmoid", "sigmoid_curve",
                   "the sigmoid σ(z) and its 0.5 threshold (lesson 002)"),
    ]  # fmt: skip


def torch_peer(key: str, variants: Mapping[str, VariantConfig]) -> str | None:
    """For a ``numpy_logistic`` variant: the first torch variant on the same dataset."""
    dataset = variants[key].dataset
    for other, cfg in variants.items():
        if other != key and cfg.dataset == dataset and cfg.model.kind != "numpy_logistic":
            return other
    return None


def variant_figures(key: str, variants: Mapping[str, VariantConfig]) -> list[FigureSpec]:
    """The figures of one variant, chosen by its model and dataset (not by its name)."""
    cfg = variants[key]
    kind, n_in = cfg.model.kind, cfg.model.sizes[0]
    want = [("curves", "loss and accuracy per epoch")]
    if kind == "logistic" and n_in == 1:
        want.append(("probability", "P(pass) against hours, the 0.5 line, the training points"))
    if kind == "linear" and n_in == 1:
        want.append(("fit", "data and the fitted line"))
    if kind == "logistic" and n_in == 2:
        want.append(("boundary", "decision boundary before and after training"))
        want.append(("sigmoid", "training examples at their scores under the sigmoid"))
    peer = torch_peer(key, variants) if kind == "numpy_logistic" else None
    if peer:
        want.append(("numpy_vs_torch", f"NumPy cost history next to {peer}'s loss"))
    if kind == "mlp" and cfg.loss.startswith("bce"):
        want.append(("baseline", "loss vs the prior's entropy, accuracy vs the majority rate"))
    if kind == "mlp" and n_in == 2 and cfg.task == "classification":
        want.append(("regions", "points and predicted class regions"))
    if cfg.dataset in IMAGE_DATASETS:
        want.append(("samples", "test images with their labels"))
        want.append(("confusion", "confusion matrix on the test set"))
        if kind == "softmax":
            want.append(("weights", "each class's weights as a 28x28 image"))
    return [FigureSpec(key, name, name, caption) for name, caption in want]


def plan_figures(variants: Mapping[str, VariantConfig]) -> list[FigureSpec]:
    """Every figure of the pipeline: the shared lesson figures, then variant by variant."""
    specs = shared_figures()
    for key in variants:
        specs.extend(variant_figures(key, variants))
    return specs


def figure_inputs(spec: FigureSpec, variants: Mapping[str, VariantConfig]) -> list[str]:
    """Files the ``plots`` stage reads to draw ``spec`` (relative to the repository root)."""
    if spec.owner == SHARED:
        return []
    key, cfg = spec.owner, variants[spec.owner]
    paths = [f"plots/{key}/history.csv", f"metrics/{key}.json"]
    needs = _NEEDS[spec.kind]
    if "model" in needs:
        paths.append(f"models/{key}.pt")
    if "data" in needs:
        paths.append(f"data/prepared/{cfg.dataset}.npz")
    if "predictions" in needs:
        paths.append(f"plots/{key}/predictions.csv")
    if "peer" in needs:
        peer = torch_peer(key, variants)
        paths += [f"plots/{peer}/history.csv", f"metrics/{peer}.json"]
    return paths


def _data_plots(key: str, cfg: VariantConfig) -> list[dict[str, Any]]:
    """Top-level plot definitions of one variant: loss (and accuracy) per epoch from
    history.csv, and its predictions as a confusion matrix or a predicted-vs-actual scatter.
    The history plots overlay experiments in ``dvc plots diff``."""
    history = f"plots/{key}/history.csv"

    def curve(column: str, label: str) -> dict[str, Any]:
        return {"x": "epoch", "y": {history: column}, "template": "linear",
                "title": f"{key}: {label}", "y_label": label}  # fmt: skip

    entries = [{f"loss: {key}": curve("train_loss", f"training loss ({cfg.loss})")}]
    classification = cfg.task == "classification"
    if classification:
        entries.append({f"accuracy: {key}": curve("train_accuracy", "training accuracy")})
    entries.append({f"plots/{key}/predictions.csv": {
        "template": "confusion" if classification else "scatter", "x": "actual",
        "y": "predicted", "title": f"{key}: predicted vs actual"}})  # fmt: skip
    return entries


def dvc_proposal(variants: Mapping[str, VariantConfig]) -> dict[str, Any]:
    """The dvc.yaml entries for the ``plots`` and ``report`` stages and top-level ``plots:``."""
    specs = plan_figures(variants)
    inputs = sorted({p for spec in specs for p in figure_inputs(spec, variants)})
    code = ["stages/plots.py", *(f"lrlab/plotting/{m}.py" for m in PLOTTING_MODULES)]
    plots_stage = {
        "cmd": "python -m stages.plots",
        "deps": code + inputs,
        "params": ["seed", "variants"],
        "plots": [{spec.path: {"cache": False}} for spec in specs],
    }
    report_code = ["stages/report.py", "lrlab/report.py", "lrlab/plotting/plan.py"]
    report_stage = {
        "cmd": "python -m stages.report",
        "deps": [*report_code, "lrlab/plotting/artifacts.py", "lessons.yaml"]
        + [f"metrics/{key}.json" for key in variants]
        + [spec.path for spec in specs],
        "params": ["variants"],
        "outs": [{"report.md": {"cache": False}}],
    }
    top = [entry for key, cfg in variants.items() for entry in _data_plots(key, cfg)]
    return {"plots": top, "stages": {"plots": plots_stage, "report": report_stage}}


def proposal_yaml(proposal: Mapping[str, Any]) -> str:
    """:func:`dvc_proposal` as compact dvc.yaml text: one line per plot definition."""
    lines = ["plots:"]
    for entry in proposal["plots"]:
        ((plot_id, props),) = entry.items()
        lines.append(f"  - {json.dumps(plot_id)}: {json.dumps(props, ensure_ascii=False)}")
    lines.append("stages:")
    for name, stage in proposal["stages"].items():
        lines += [f"  {name}:", f"    cmd: {stage['cmd']}"]
        for field in ("deps", "params"):
            lines += [f"    {field}:", *(f"      - {item}" for item in stage[field])]
        for field in ("plots", "outs"):
            if field in stage:
                lines.append(f"    {field}:")
                lines += [f"      - {next(iter(e))}: {{cache: false}}" for e in stage[field]]
    return "\n".join(lines) + "\n"
