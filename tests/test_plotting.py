"""Figures: each function draws a PNG of the planned pixel size from tiny arrays; boundary
lines are clipped correctly; saved models read back as layers; the catalogue picks each
variant's figures from its model, loss and data; ``python -m stages.figures <variant>`` (as
``train@<variant>`` does) renders them from a fixture pipeline into one folder,
atomically, and names a missing or broken input."""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from fixtures_data import EXTENDED_PARAMS, extended_variants, model_file_parts, shape_of
from matplotlib.image import imread
from repo_kit import prepared_repo, trained_repo, write_params

from lrlab.base import layout
from lrlab.base.errors import LrlabError
from lrlab.base.io import load_torch, save_torch, write_csv, write_json
from lrlab.core.binding import resolve_widths
from lrlab.core.config import ParamsFile, VariantConfig
from lrlab.core.loss_table import LOSSES
from lrlab.core.model_file import make_checkpoint
from lrlab.plotting import boundary, catalogue, curves, images, lines
from lrlab.plotting.catalogue import LESSON_FIGURES, VARIANT_FIGURES, entry, figures_for, ordered
from lrlab.plotting.common import DPI, clip_line, pixel_size, signed, to_png
from lrlab.plotting.inputs import Inputs
from lrlab.plotting.model_params import forward, linear_layers, single_linear
from lrlab.train.models import build_model
from lrlab.train.training import derive_seeds
from stages import figures as figures_stage

REPO = Path(__file__).resolve().parents[1]
VARIANTS = extended_variants()  # params.yaml's variants, and one a user added on their own CSV
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
    for name in ("curves", "fit", "probability", "boundary", "regions", "baseline"):
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


# --- the catalogue ------------------------------------------------------------------------


def test_every_figure_module_is_a_catalogue_entry_with_its_own_file_name():
    names = [e.name for e in VARIANT_FIGURES]
    assert len(names) == len(set(names)), "two entries would write the same file"
    assert len(LESSON_FIGURES) == len({e.name for e in LESSON_FIGURES})
    assert all(e.caption and callable(e.draw) for e in (*VARIANT_FIGURES, *LESSON_FIGURES))
    assert {"curves", "boundary", "weights"} <= set(names)
    assert ordered(lessons=False) == [(e.name, e.caption) for e in VARIANT_FIGURES]
    assert ordered(lessons=True) == [(e.name, e.caption) for e in LESSON_FIGURES]
    assert [n for n, _ in ordered(lessons=True)] == ["activations", "sigmoid"]


# the figures a variant gets, chosen by its model, loss and data (n_features; images)
SITUATIONS = [
    ("logistic", "bce", 1, False, {"curves", "probability"}),
    ("logistic", "bce_logits", 1, False, {"curves", "probability"}),
    ("linear", "mse", 1, False, {"curves", "fit"}),
    ("linear", "mse_sum", 1, False, {"curves", "fit"}),
    ("linear", "mse", 3, False, {"curves"}),
    ("logistic", "bce_clamped", 2, False, {"curves", "boundary", "sigmoid"}),
    ("numpy_logistic", "bce", 30, False, {"curves"}),
    ("logistic", "bce", 30, False, {"curves"}),
    ("mlp", "bce", 8, False, {"curves", "baseline"}),
    ("mlp", "cross_entropy", 2, False, {"curves", "regions"}),
    ("mlp", "mse", 2, False, {"curves"}),
    ("softmax", "cross_entropy", 3, False, {"curves"}),
    ("mlp", "cross_entropy", 784, True, {"curves", "samples", "first_image", "confusion"}),
    (
        "softmax",
        "cross_entropy",
        784,
        True,
        {"curves", "samples", "first_image", "confusion", "weights"},
    ),
]


KNOWN = set().union(*(expected for *_, expected in SITUATIONS))


class Situation:
    """What the catalogue's predicates look at: the config, its loss entry and the data."""

    def __init__(self, kind: str, loss: str, n_features: int, is_images: bool) -> None:
        sizes = [n_features, 4, 1] if kind == "mlp" else [n_features, 1]
        if LOSSES[loss].multiclass:
            sizes[-1] = 3
        output = LOSSES[loss].output
        self.cfg = VariantConfig.model_validate(
            {
                "dataset": "d",
                "model": {"kind": kind, "sizes": sizes, "output": output},
                "loss": loss,
                "optimizer": {"name": "sgd", "lr": 0.1},
                "epochs": 1,
            }
        )
        self.loss_spec, self.n_features, self.is_images = LOSSES[loss], n_features, is_images


@pytest.mark.parametrize(("kind", "loss", "n_features", "is_images", "expected"), SITUATIONS)
def test_the_catalogue_picks_figures_by_model_loss_and_data(
    kind, loss, n_features, is_images, expected
):
    names = [e.name for e in figures_for(Situation(kind, loss, n_features, is_images))]
    assert set(names) & KNOWN == expected  # a figure added since has its own rule to test
    assert names == [e.name for e in VARIANT_FIGURES if e.name in names], "catalogue order"


def test_every_variant_gets_its_curves_first(pipeline):
    for key, cfg in VARIANTS.items():
        names = [e.name for e in figures_for(Inputs(pipeline, key, cfg))]
        assert names[0] == "curves", key


# --- the stage on a fixture pipeline ------------------------------------------------------


def _resolved(cfg: VariantConfig) -> VariantConfig:
    d, k = shape_of(cfg.dataset)[:2]
    return resolve_widths(cfg, d, k or None)


def _fake_variant(root: Path, key: str, cfg: VariantConfig, n: int = 24) -> None:
    """The model file, history, predictions and metrics of ``key``, of the right shapes."""
    cfg = _resolved(cfg)
    initial = build_model(cfg.model, torch.Generator().manual_seed(len(key))).state_dict()
    trained = build_model(cfg.model, torch.Generator().manual_seed(len(key) + 1)).state_dict()
    meta = {"device": "cpu", "train_seconds": 0.1, "epochs": 5, "seed": 2017}
    parts = model_file_parts(cfg.dataset, key)
    checkpoint = make_checkpoint(trained, initial, cfg.model_dump(), meta, *parts)
    save_torch(layout.model_file(root, key), checkpoint)
    history = {"epoch": np.arange(1, 6), "train_loss": np.linspace(1.0, 0.3, 5)}
    classify = cfg.task == "classification"
    if classify:
        history["train_accuracy"] = np.linspace(0.5, 0.9, 5)
    write_csv(layout.history_file(root, key), history)
    k = max(cfg.model.sizes[-1], 2)
    actual = np.arange(n) % k if classify else np.linspace(0, 1, n)
    write_csv(layout.predictions_file(root, key), {"actual": actual, "predicted": actual[::-1]})
    metrics = {"train": {"loss": 0.3}, "reference": {"train_loss": 0.25, "method": "lbfgs"}}
    write_json(layout.metrics_file(root, key), metrics)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Path:
    datasets = tuple({cfg.dataset for cfg in VARIANTS.values()})
    root = prepared_repo(tmp_path_factory.mktemp("pipeline"), datasets, base=EXTENDED_PARAMS)
    for key, cfg in VARIANTS.items():
        _fake_variant(root, key, cfg)
    return root


@pytest.fixture
def repo(pipeline, tmp_path) -> Path:
    """A copy of the fixture pipeline that a test may damage."""
    root = tmp_path / "repo"
    shutil.copytree(pipeline, root, ignore=shutil.ignore_patterns(layout.FIGURES))
    return root


def figure_files(root: Path, owner: str) -> set[str]:
    return {p.name for p in layout.figures_dir(root, owner).iterdir()}


@pytest.fixture
def uncut(monkeypatch):
    """Every figure drawn while the test runs is checked to lie within its canvas (0.01 in of
    slack): nothing cut off (:func:`overflow`)."""
    from lrlab.plotting import render

    real, cut = render.to_png, {}

    def checked(fig):
        if max(over := overflow(fig)) > 0.01:
            cut[fig.axes[0].get_title() if fig.axes else "?"] = over
        return real(fig)

    monkeypatch.setattr(render, "to_png", checked)
    yield
    assert not cut, f"cut off (inches beyond left, bottom, right, top): {cut}"


@pytest.mark.parametrize("key", list(VARIANTS))
def test_figures_stage_renders_the_variants_figures_and_nothing_else(pipeline, capsys, uncut, key):
    """Every figure of every variant (the lessons' and the params-only ones), nothing cut off."""
    figures_stage.main([key, "--root", str(pipeline)])
    assert f"figures@{key}: " in capsys.readouterr().out
    expected = [e.name for e in figures_for(Inputs(pipeline, key, VARIANTS[key]))]
    assert figure_files(pipeline, key) == {f"{name}.png" for name in expected}
    for name in expected:
        assert imread(layout.figure_file(pipeline, key, name)).shape[0] >= 300, name
    hidden = [p.name for p in layout.figures_dir(pipeline, key).parent.iterdir()]
    assert not [h for h in hidden if h.startswith(".")], "the atomic write left a temporary"


def test_figures_stage_draws_the_lessons_illustrations(tmp_path, capsys, uncut):
    figures_stage.main(["--lessons", "--root", str(tmp_path)])
    assert "figures@lessons: activations, sigmoid" in capsys.readouterr().out
    owner = layout.LESSON_FIGURES
    assert figure_files(tmp_path, owner) == {f"{e.name}.png" for e in LESSON_FIGURES}
    assert imread(layout.figure_file(tmp_path, owner, "activations")).shape[:2] == (660, 880)


@pytest.mark.parametrize("argv", [[], ["linear_toy", "--lessons"]])
def test_figures_stage_wants_a_variant_or_lessons(tmp_path, argv):
    with pytest.raises(SystemExit) as info:
        figures_stage.main([*argv, "--root", str(tmp_path)])
    assert info.value.code == 2
    assert not (tmp_path / layout.FIGURES).exists()


@pytest.mark.parametrize(
    ("key", "path", "stage"),
    [
        ("linear_toy", layout.model_file, "train@linear_toy"),
        ("linear_toy", layout.history_file, "train@linear_toy"),
        ("linear_toy", layout.metrics_file, "train@linear_toy"),
        ("mnist_mlp", layout.predictions_file, "train@mnist_mlp"),  # for its confusion matrix
        ("linear_toy", lambda root, key: layout.prepared_file(root, "linear-toy"), "prepare@"),
    ],
)
def test_figures_stage_names_a_missing_input(repo, key, path, stage):
    missing = path(repo, key)
    missing.unlink()
    rel = re.escape(layout.relative(repo, missing))
    with pytest.raises(LrlabError, match=rf"{rel}: not found.*`{stage}"):
        figures_stage.main([key, "--root", str(repo)])
    assert not layout.figures_dir(repo, key).exists()


@pytest.mark.parametrize(
    ("path", "content", "message"),
    [
        (layout.model_file, b"not a torch file", r"models/linear_toy\.pt: refused or unreadable"),
        (layout.history_file, b"epoch,loss\n1,2\n", r"expected columns \['epoch', 'train_loss'\]"),
        (layout.history_file, b"", r"history/linear_toy\.csv: expected columns .* 0 rows"),
        (layout.history_file, b"epoch,train_loss\n1,\xff\n", r"not a readable CSV"),
        (layout.history_file, b"epoch,train_loss\n1,abc\n", r"line 2: column 'train_loss'"),
        (layout.metrics_file, b"{not json", r"metrics/linear_toy\.json: not valid JSON"),
    ],
)
def test_figures_stage_names_a_broken_input(repo, path, content, message):
    path(repo, "linear_toy").write_bytes(content)
    with pytest.raises(LrlabError, match=message):
        figures_stage.main(["linear_toy", "--root", str(repo)])
    assert not layout.figures_dir(repo, "linear_toy").exists()


def test_figures_stage_rejects_an_unknown_variant(pipeline):
    with pytest.raises(LrlabError, match=r"variants\.no_such_variant: key is missing"):
        figures_stage.main(["no_such_variant", "--root", str(pipeline)])


def test_a_variant_cannot_be_called_lessons(tmp_path):
    def add(raw):
        raw["variants"][layout.LESSON_FIGURES] = dict(raw["variants"]["linear_toy"])

    write_params(tmp_path, add)
    with pytest.raises(LrlabError, match="reserved"):
        figures_stage.main([layout.LESSON_FIGURES, "--root", str(tmp_path)])


def _fail(inputs):
    raise RuntimeError("drawing failed")


def fail_regions(monkeypatch) -> None:
    """Make the catalogue's ``regions`` figure fail to draw."""
    failing = [replace(e, draw=_fail) if e.name == "regions" else e for e in VARIANT_FIGURES]
    monkeypatch.setattr(catalogue, "VARIANT_FIGURES", tuple(failing))


def test_a_failing_draw_leaves_no_figure_folder(repo, monkeypatch):
    fail_regions(monkeypatch)  # two_clusters draws curves, then regions
    with pytest.raises(RuntimeError, match="drawing failed"):
        figures_stage.main(["two_clusters", "--root", str(repo)])
    assert not layout.figures_dir(repo, "two_clusters").exists()
    parent = layout.figures_dir(repo, "two_clusters").parent
    assert not parent.exists() or list(parent.iterdir()) == [], "no temporary folder left"


def test_a_failing_draw_keeps_the_previous_figure_folder(repo, monkeypatch):
    folder = layout.figures_dir(repo, "two_clusters")
    folder.mkdir(parents=True)
    before = {"curves.png": b"previous curves", "stale.png": b"a figure it no longer gets"}
    for name, data in before.items():
        (folder / name).write_bytes(data)
    fail_regions(monkeypatch)  # curves is drawn before regions fails
    with pytest.raises(RuntimeError, match="drawing failed"):
        figures_stage.main(["two_clusters", "--root", str(repo)])
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in folder.parent.iterdir()] == ["two_clusters"], "no temporary left"

    monkeypatch.undo()
    figures_stage.main(["two_clusters", "--root", str(repo)])
    assert figure_files(repo, "two_clusters") == {"curves.png", "regions.png"}, "replaced whole"
    assert (folder / "curves.png").read_bytes() != before["curves.png"]
    assert [p.name for p in folder.parent.iterdir()] == ["two_clusters"], "no old folder left"


# --- a new variant and the initial weights, trained by the real stages -------------------

NEW_VARIANT = {
    "dataset": "two-clusters",
    "model": {"kind": "mlp", "sizes": ["in", 8, "out"], "activation": "tanh"},
    "loss": "cross_entropy",
    "optimizer": {"name": "sgd", "lr": 0.1},
    "epochs": 2,
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """my_tanh_net (a variant no lesson has) and exam_scores_manual, trained and evaluated."""
    return trained_repo(
        tmp_path_factory.mktemp("trained"),
        ("two-clusters", "exam-scores"),
        ("my_tanh_net", "exam_scores_manual"),
        lambda raw: raw["variants"].update(my_tanh_net=NEW_VARIANT),
    )


def test_figures_of_a_new_variant_are_chosen_by_its_model_and_data(trained, capsys):
    saved = load_torch(layout.model_file(trained, "my_tanh_net"))["config"]["model"]
    assert saved["sizes"] == [2, 8, 2] and saved["output"] == "raw", "widths from the data"
    figures_stage.main(["my_tanh_net", "--root", str(trained)])
    assert "figures@my_tanh_net: curves, regions" in capsys.readouterr().out
    assert figure_files(trained, "my_tanh_net") == {"curves.png", "regions.png"}
    for name in ("curves", "regions"):
        assert imread(layout.figure_file(trained, "my_tanh_net", name)).shape[0] >= 300


def test_the_boundary_before_training_is_the_saved_initial_weights(trained):
    key = "exam_scores_manual"
    params = ParamsFile(trained / "params.yaml")
    inputs = Inputs(trained, key, params.variant(key))
    init_seed, _ = derive_seeds(params.runtime().seed, inputs.cfg.seed_offset)
    generator = torch.Generator().manual_seed(init_seed)
    start = build_model(inputs.cfg.model, generator, inputs.cfg.init_draw).state_dict()
    start_w, start_b = inputs.initial_linear
    assert start_w == pytest.approx(single_linear(start)[0]) and start_b.tolist() == [0.0]
    assert not np.allclose(inputs.linear[0], start_w), "training moved the weights"

    fig = entry("boundary").draw(inputs)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    w = start_w[0] / np.asarray(inputs.info["feature_scale"], float)
    drawn = f"before training: {w[0]:.3g}·x₀ {signed(w[1])}·x₁ {signed(float(start_b[0]))} = 0"
    assert any(t.startswith(drawn) for t in texts), texts


# --- nothing cut off ------------------------------------------------------------------------


def overflow(fig) -> list[float]:
    """How far (inches: left, bottom, right, top) what ``fig`` draws (texts, legends,
    colorbars, axes) reaches beyond its canvas; all 0 when nothing is cut off."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    box = fig.get_tightbbox(canvas.get_renderer())
    width, height = fig.get_size_inches()
    return [round(max(0.0, v), 3) for v in (-box.x0, -box.y0, box.x1 - width, box.y1 - height)]


def test_the_exam_boundary_legend_fits_with_the_lessons_numbers():
    """Lesson 002's lines, as long as their equations get (the figure cut them off once)."""
    rng = np.random.default_rng(0)
    x, y = rng.uniform(30, 100, (100, 2)) / 100, rng.integers(0, 2, 100)
    fig = boundary.exam_boundary(
        x,
        y,
        (np.array([9.54, 8.93]), -11.3),
        (np.array([0.398, 1.45]), 0.0),
        optimum=(np.array([20.6, 20.1]), -25.2),
        title="exam_scores_manual: exam-scores, logistic 2-1, sgd lr 1\ndecision boundary",
        feature_scale=[100.0, 100.0],
    )
    assert overflow(fig) == [0.0, 0.0, 0.0, 0.0]
