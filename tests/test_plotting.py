"""Figures: each function draws a PNG of the planned pixel size from tiny arrays; boundary
lines are clipped correctly; saved models read back as layers; the plots stage renders every
planned figure from a fixture pipeline and names a missing input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from matplotlib.image import imread

from lrlab.config import ParamsFile, VariantConfig
from lrlab.datasets.prepared import PreparedData, save_prepared
from lrlab.errors import LrlabError
from lrlab.plotting import boundary, curves, images, lines
from lrlab.plotting.common import DPI, clip_line, pixel_size, to_png
from lrlab.plotting.model_params import forward, initial_linear, linear_layers, single_linear
from lrlab.plotting.plan import dvc_proposal, figure_inputs, plan_figures
from stages import plots as plots_stage

REPO = Path(__file__).resolve().parents[1]
PARAMS = ParamsFile(REPO / "params.yaml")
VARIANTS = {key: PARAMS.variant(key) for key in PARAMS.variant_keys()}
RNG = np.random.default_rng(0)


def png_shape(fig) -> tuple[int, int]:
    data = to_png(fig)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    return imread(io.BytesIO(data), format="png").shape[:2]


def two_blobs(n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate([RNG.normal(-1, 0.5, (n, 2)), RNG.normal(1, 0.5, (n, 2))])
    return x, np.repeat([0, 1], n)


# --- figure functions ---------------------------------------------------------------------

EPOCHS = np.arange(1, 11)
LOSS = np.linspace(1.0, 0.2, 10)
ACC = np.linspace(0.5, 0.9, 10)

FIGURES = {
    "curves": lambda: curves.training_curves(
        EPOCHS, LOSS, ACC, loss_name="bce", title="t", reference_loss=0.15,
        reference_accuracy=0.92, test_accuracy=0.88,
    ),
    "curves_regression": lambda: curves.training_curves(
        EPOCHS, LOSS * 100, loss_name="mse", title="t", reference_loss=1.0
    ),
    "compare": lambda: curves.loss_comparison(
        [("numpy", EPOCHS, LOSS), ("torch", EPOCHS * 2, LOSS / 2)], loss_name="bce", title="t"
    ),
    "baseline": lambda: curves.majority_baseline(
        EPOCHS, LOSS, ACC, positive_rate=0.65, loss_name="bce", title="t"
    ),
    "probability": lambda: lines.probability_curve(
        [1, 2, 3], [0, 0, 1], 1.5, -3.0, title="t", queries=[0.5, 7.0]
    ),
    "fit": lambda: lines.linear_fit(
        [1, 2, 3], [2, 4, 6], 1.9, 0.1, title="t", true_line=(2.0, 0.0),
        reference_line=(2.0, 0.0), queries={4.0: 7.7},
    ),
    "activations": lines.activations,
    "sigmoid_curve": lines.sigmoid_curve,
    "boundary": lambda: boundary.exam_boundary(
        *two_blobs(), ([1.0, 1.0], 0.0), ([0.3, -1.0], 0.2), title="t",
        feature_scale=[100.0, 100.0],
    ),
    "score_sigmoid": lambda: boundary.score_sigmoid(RNG.normal(0, 2, 30), RNG.integers(0, 2, 30),
                                                   title="t"),
    "regions": lambda: boundary.decision_regions(
        lambda p: (p.sum(axis=1) > 0).astype(int), *two_blobs(), *two_blobs(5), title="t",
        resolution=40,
    ),
    "samples": lambda: images.sample_grid(
        RNG.normal(size=(20, 784)), np.repeat(np.arange(10), 2), [f"c{i}" for i in range(10)],
        title="t",
    ),
    "confusion": lambda: images.confusion_matrix(
        RNG.integers(0, 10, 200), RNG.integers(0, 10, 200), [f"class {i}" for i in range(10)],
        title="t",
    ),
    "weights": lambda: images.softmax_weights(
        RNG.normal(size=(10, 784)), [f"c{i}" for i in range(10)], title="t"
    ),
}  # fmt: skip

EXPECTED_PIXELS = {"curves": (440, 1100), "activations": (660, 880), "boundary": (660, 770)}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_each_figure_renders_a_png_of_its_planned_size(name):
    fig = FIGURES[name]()
    assert fig.axes and all(ax.get_title() or fig.get_suptitle() for ax in fig.axes[:1])
    shape = png_shape(fig)
    assert shape == pixel_size(fig)
    assert 300 <= shape[0] <= 1200 and 500 <= shape[1] <= 1300, "readable, not huge"
    if name in EXPECTED_PIXELS:
        assert shape == EXPECTED_PIXELS[name]


def test_axes_have_labels_and_data_figures_have_legends():
    for name in ("curves", "fit", "probability", "boundary", "regions", "baseline", "compare"):
        fig = FIGURES[name]()
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel(), name
        assert ax.get_legend() is not None or fig.legends, name


def test_dpi_is_in_the_readable_range():
    assert 100 <= DPI <= 120


def test_confusion_counts_put_true_classes_in_rows():
    counts = images.confusion_counts([0, 0, 1, 2], [0, 1, 1, 2], 3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_binary_entropy_of_the_diabetes_prior_is_the_stall_level():
    assert curves.binary_entropy(0.651) == pytest.approx(0.6466, abs=1e-3)
    assert curves.binary_entropy(0.0) == 0.0


# --- the boundary line --------------------------------------------------------------------

BOX = (0.0, 10.0, 0.0, 10.0)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ((1.0, -1.0, 0.0), ([0, 10], [0, 10])),  # y = x, corner to corner
        ((1.0, 0.0, -4.0), ([4, 4], [0, 10])),  # vertical x = 4
        ((0.0, 1.0, -3.0), ([0, 10], [3, 3])),  # horizontal y = 3
        ((1.0, 1.0, -15.0), ([5, 10], [10, 5])),  # x + y = 15 cuts the top-right corner
    ],
)
def test_clip_line_returns_the_segment_inside_the_box(line, expected):
    xs, ys = clip_line(*line, BOX)
    assert xs.tolist() == pytest.approx(expected[0]) and ys.tolist() == pytest.approx(expected[1])


@pytest.mark.parametrize("line", [(1.0, 1.0, 100.0), (0.0, 0.0, 1.0), (1.0, 0.0, 20.0)])
def test_clip_line_misses_or_degenerate_gives_none(line):
    assert clip_line(*line, BOX) is None


def test_a_boundary_outside_the_data_is_named_in_the_legend():
    fig = boundary.exam_boundary(*two_blobs(), ([1.0, 1.0], 0.0), ([1.0, 1.0], 50.0), title="t")
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("before training" in t and "outside" in t for t in texts)
    assert any("after training" in t and "outside" not in t for t in texts)


# --- saved models -------------------------------------------------------------------------


def test_linear_layers_follow_state_dict_order_and_forward_matches_torch():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    layers = linear_layers(net.state_dict())
    assert [w.shape for w, _ in layers] == [(5, 2), (3, 5)]
    x = np.random.default_rng(1).normal(size=(7, 2))
    expected = net(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    assert forward(layers, x, "relu") == pytest.approx(expected, abs=1e-5)


def test_single_linear_rejects_an_mlp():
    state = {"a.weight": torch.ones(3, 2), "a.bias": torch.zeros(3), "b.weight": torch.ones(1, 3)}
    with pytest.raises(LrlabError, match="one linear layer"):
        single_linear(state)


def test_initial_linear_uses_the_saved_start_or_the_seeded_randn_zero_draw():
    weight, bias = initial_linear(2, 2017)
    expected = torch.randn(1, 2, generator=torch.Generator().manual_seed(2017))
    assert weight == pytest.approx(expected.double().numpy()) and bias.tolist() == [0.0]
    saved = {"linear.weight": torch.tensor([[0.5, -2.0]]), "linear.bias": torch.tensor([0.25])}
    weight, bias = initial_linear(2, 2017, saved)
    assert weight.tolist() == [[0.5, -2.0]] and bias.tolist() == [0.25]


# --- the plan -----------------------------------------------------------------------------


def test_plan_gives_every_variant_curves_and_the_lessons_their_figures():
    names = {(s.owner, s.name) for s in plan_figures(VARIANTS)}
    assert all((key, "curves") in names for key in VARIANTS)
    expected = {
        ("lessons", "activations"), ("lessons", "sigmoid"),
        ("hours_pass", "probability"), ("study_hours", "probability"),
        ("linear_toy", "fit"), ("linear_synthetic", "fit"), ("linear_15pt", "fit"),
        ("exam_scores_manual", "boundary"), ("exam_scores_builtin", "sigmoid"),
        ("breast_cancer_numpy", "numpy_vs_torch"), ("diabetes_deep", "baseline"),
        ("two_clusters", "regions"), ("mnist_mlp", "samples"), ("mnist_mlp", "confusion"),
        ("fashion_softmax", "samples"), ("fashion_softmax", "confusion"),
        ("fashion_softmax", "weights"),
    }  # fmt: skip
    assert expected <= names
    assert ("mnist_mlp", "weights") not in names
    paths = [s.path for s in plan_figures(VARIANTS)]
    assert len(paths) == len(set(paths))


def test_dvc_proposal_lists_every_figure_and_input_and_matches_dvc_yaml_once_added():
    proposal = dvc_proposal(VARIANTS)
    stage = proposal["stages"]["plots"]
    outs = [next(iter(entry)) for entry in stage["plots"]]
    assert outs == [s.path for s in plan_figures(VARIANTS)]
    inputs = {p for s in plan_figures(VARIANTS) for p in figure_inputs(s, VARIANTS)}
    assert inputs <= set(stage["deps"])
    assert all((REPO / d).exists() for d in stage["deps"] if d.startswith(("stages/", "lrlab/")))
    ids = [next(iter(entry)) for entry in proposal["plots"]]
    assert {f"loss: {key}" for key in VARIANTS} <= set(ids)
    dvc = yaml.safe_load((REPO / "dvc.yaml").read_text())
    if "plots" in dvc.get("stages", {}):  # once the proposal is pasted in, it must stay in sync
        assert dvc["stages"]["plots"] == stage
        assert dvc["stages"]["report"] == proposal["stages"]["report"]


# --- the stage on a fixture pipeline ------------------------------------------------------


def _fake_variant(root: Path, key: str, cfg: VariantConfig, n: int = 24) -> None:
    """history.csv, predictions.csv, metrics and a model of the right shapes for ``key``."""
    gen = torch.Generator().manual_seed(len(key))
    sizes = cfg.model.sizes
    state = {}
    for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
        state[f"layers.{i}.weight"] = torch.randn(b, a, generator=gen)
        state[f"layers.{i}.bias"] = torch.randn(b, generator=gen)
    (root / "models").mkdir(exist_ok=True)
    torch.save({"state_dict": state, "config": cfg.model_dump(), "meta": {}},
               root / f"models/{key}.pt")  # fmt: skip
    history = {"epoch": np.arange(1, 6), "train_loss": np.linspace(1.0, 0.3, 5)}
    k = max(sizes[-1], 2)
    classify = cfg.task == "classification"
    if classify:
        history["train_accuracy"] = np.linspace(0.5, 0.9, 5)
    folder = root / "plots" / key
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(history).to_csv(folder / "history.csv", index=False)
    actual = np.arange(n) % k if classify else np.linspace(0, 1, n)
    pd.DataFrame({"actual": actual, "predicted": actual[::-1]}).to_csv(
        folder / "predictions.csv", index=False
    )
    metrics = {"train": {"loss": 0.3}, "reference": {"train_loss": 0.25, "method": "lbfgs"}}
    (root / "metrics").mkdir(exist_ok=True)
    (root / f"metrics/{key}.json").write_text(json.dumps(metrics))


def _fake_dataset(root: Path, cfg: VariantConfig, n: int = 24) -> None:
    path = root / f"data/prepared/{cfg.dataset}.npz"
    if path.exists():
        return
    d, k = cfg.model.sizes[0], max(cfg.model.sizes[-1], 2)
    y = torch.arange(n) % k if cfg.task == "classification" else torch.rand(n)
    info = {"task": cfg.task, "num_classes": k, "feature_scale": [100.0] * d,
            "true_weight": [2.0], "class_names": [f"class {i}" for i in range(k)]}  # fmt: skip
    data = PreparedData(torch.rand(n, d), y, torch.rand(n, d), y.clone(), info)
    save_prepared(path, data.map(lambda t: t.numpy()))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pipeline")
    (root / "params.yaml").write_text((REPO / "params.yaml").read_text())
    for key, cfg in VARIANTS.items():
        _fake_variant(root, key, cfg)
        _fake_dataset(root, cfg)
    return root


def test_plots_stage_renders_every_planned_figure(pipeline, capsys):
    plots_stage.main(["--root", str(pipeline)])
    assert "wrote" in capsys.readouterr().out
    for spec in plan_figures(VARIANTS):
        path = pipeline / spec.path
        assert path.is_file(), spec.path
        assert imread(path).shape[0] >= 300, spec.path
    assert not list(pipeline.rglob("*.tmp")), "atomic writes leave no temporary files"


def test_plots_stage_names_a_missing_input(pipeline, tmp_path):
    (pipeline / "models/linear_toy.pt").rename(tmp_path / "moved.pt")
    try:
        with pytest.raises(LrlabError, match=r"models/linear_toy\.pt: not found.*train@linear_toy"):
            plots_stage.main(["--root", str(pipeline), "--only", "linear_toy"])
    finally:
        (tmp_path / "moved.pt").rename(pipeline / "models/linear_toy.pt")


@pytest.mark.parametrize(
    ("rel", "content", "message"),
    [
        ("models/linear_toy.pt", b"not a torch file", r"models/linear_toy\.pt: cannot be read"),
        ("plots/linear_toy/history.csv", b"epoch,loss\n1,2\n", r"expected columns"),
        ("plots/linear_toy/history.csv", b"", r"not a readable CSV"),
    ],
)
def test_plots_stage_names_a_broken_input(pipeline, tmp_path, rel, content, message):
    path = pipeline / rel
    saved = path.read_bytes()
    path.write_bytes(content)
    try:
        with pytest.raises(LrlabError, match=message):
            plots_stage.main(["--root", str(pipeline), "--only", "linear_toy"])
    finally:
        path.write_bytes(saved)


def test_plots_stage_rejects_an_unknown_variant(pipeline):
    with pytest.raises(LrlabError, match="unknown variants"):
        plots_stage.main(["--root", str(pipeline), "--only", "no_such_variant"])


def test_plots_stage_prints_the_dvc_yaml_proposal(capsys):
    plots_stage.main(["--root", str(REPO), "--dvc-yaml"])
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(dvc_proposal(VARIANTS)))
