"""Readers reject bad files with the file (and line) named; each dataset kind scales, splits
and describes its data as documented; the prepare stage runs end to end on tiny fixtures."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fixtures_data import (
    DIABETES_ROWS,
    EXAM_TEXT,
    idx_bytes,
    idx_contents,
    image_split,
    imported_after,
    use_source,
    write_idx_raw,
)

from lrlab.base import layout
from lrlab.base.errors import ConfigError, DataError
from lrlab.core.prepared import load_prepared
from lrlab.datasets import prepare as prep
from lrlab.datasets import readers
from lrlab.datasets.kinds import (
    breast_cancer,
    diabetes,
    exam_scores,
    fashion_mnist,
    mnist,
    points,
    synthetic_regression,
    two_clusters,
)
from stages import prepare as stage

REPO = Path(__file__).resolve().parents[1]
EXAM_SOURCE = exam_scores.SOURCE  # the real one, before a fixture shrinks its row count
EXAM = exam_scores.Settings(kind="exam_scores")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- image reader -------------------------------------------------------------------------


def test_read_images_uses_torchvision_and_checks_counts(tmp_path):
    root = write_idx_raw(tmp_path / "fashion-mnist", "FashionMNIST")
    images, labels = readers.read_images(root, "FashionMNIST", True, expected=6)
    assert images.dtype == np.uint8 and images.shape == (6, 28, 28)
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1, 2, 3, 4, 5]
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte: 4 images, expected 10000"):
        readers.read_images(root, "FashionMNIST", False, expected=10000)


@pytest.mark.parametrize(
    ("stem", "data", "needle"),
    [
        ("train-images-idx3-ubyte", b"\x00\x00\x08\x09" + b"\x00" * 40, "not a valid IDX file"),
        ("train-images-idx3-ubyte", idx_bytes(np.zeros((6, 784), np.uint8)), "3 dimension"),
        ("train-labels-idx1-ubyte", idx_bytes(np.zeros((6, 2), np.uint8)), "1 dimension"),
        ("train-images-idx3-ubyte", idx_bytes(np.zeros((6, 28, 28), np.uint8))[:-5], "valid IDX"),
    ],
)
def test_read_images_wraps_torchvision_errors_naming_the_file(tmp_path, stem, data, needle):
    root = write_idx_raw(tmp_path / "mnist")
    (root / "MNIST/raw" / stem).write_bytes(data)
    with pytest.raises(DataError) as info:
        readers.read_images(root, "MNIST", True)
    assert str(root / "MNIST/raw" / stem) in str(info.value)
    assert needle in str(info.value)
    assert "dvc repro download@mnist" in str(info.value)


def test_read_images_rejects_missing_files_and_bad_labels(tmp_path):
    root = write_idx_raw(tmp_path / "mnist")
    (root / "MNIST/raw/t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match=r"Missing image data file\(s\): .*t10k-labels-idx1-ubyte"):
        readers.read_images(root, "MNIST", True)
    images, _ = image_split(3, 0)
    contents = idx_contents()
    contents["t10k-images-idx3-ubyte"] = idx_bytes(images)
    contents["t10k-labels-idx1-ubyte"] = idx_bytes(np.array([1, 12, 3], np.uint8))
    root = write_idx_raw(tmp_path / "other", contents=contents)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: label 12 at index 1 is outside"):
        readers.read_images(root, "MNIST", False)


# --- CSV readers --------------------------------------------------------------------------


def test_read_exam_scores_parses_the_table(tmp_path):
    x, y = exam_scores.read(write(tmp_path / "data.txt", EXAM_TEXT), expected=20)
    assert x.shape == (20, 2) and x.dtype == np.float64
    assert y.dtype == np.int64 and set(y.tolist()) == {0, 1}
    assert x[0].tolist() == [30.5, 40.25]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("1,2,0\n3,x,1\n", "line 2: column 2 (exam 2 score): 'x' is not a finite number"),
        ("1,2,0\n3,,1\n", "line 2: column 2 (exam 2 score): missing value"),
        ("1,2,0\n3,4\n", "line 2: column 3 (admitted): missing value"),
        ("1,2,0\n3,NaN,1\n", "line 2: column 2 (exam 2 score): 'NaN' is not a finite number"),
        ("1,2,0\n3,4,1,5\n", "line 2: 4 fields, expected 3"),
        ("1,2\n3,4\n", "line 1: 2 fields, expected 3"),
        ("1,2,0\n3,4,2\n", "line 2: admitted is 2, expected 0 or 1"),
        ("1,2,0\n\n3,4,1\n", "line 2: column 1 (exam 1 score): missing value"),
        ("", "the file is empty"),
    ],
)
def test_read_exam_scores_names_file_line_and_problem(tmp_path, text, needle):
    path = write(tmp_path / "exam-scores" / "data.txt", text)
    with pytest.raises(DataError) as info:
        exam_scores.read(path)
    assert str(path) in str(info.value) and needle in str(info.value)
    assert "dvc repro download@exam-scores" in str(info.value)


def test_read_diabetes_checks_feature_range_rows_and_presence(tmp_path):
    path = write(tmp_path / "diabetes" / "diabetes.csv", DIABETES_ROWS)
    x, y = diabetes.read(path, expected=40)
    assert x.shape == (40, 8) and np.bincount(y).tolist() == [10, 30]
    with pytest.raises(DataError, match=r"40 rows, expected 759"):
        diabetes.read(path, expected=759)
    write(path, DIABETES_ROWS.replace("-0.9", "-1.5", 1))
    with pytest.raises(DataError, match=r"line 1: feature 7 is -1.5, outside \[-1, 1\]"):
        diabetes.read(path)
    with pytest.raises(DataError, match=r"nothing\.csv: file not found"):
        diabetes.read(tmp_path / "nothing.csv")


# --- prepare ------------------------------------------------------------------------------


def test_images_are_scaled_then_normalized_once():
    pixels = np.zeros((2, 28, 28), np.uint8)
    pixels[0, 0, :3] = [0, 255, 51]
    labels = np.array([3, 7])
    settings = mnist.KIND.settings(kind="mnist")
    data = prep.prepare_images("mnist", (pixels, labels), (pixels[:1], labels[:1]), settings)
    assert data.x_train.dtype == np.float32 and data.x_train.shape == (2, 784)
    assert data.x_train[0, :3].tolist() == pytest.approx([-1.0, 1.0, -0.6])
    assert data.y_train.dtype == np.int64
    info = data.info
    assert info["normalization"] == {"mean": 0.5, "std": 0.5}
    assert info["shapes"] == {
        "x_train": [2, 784],
        "y_train": [2],
        "x_test": [1, 784],
        "y_test": [1],
    }
    assert info["class_counts"]["train"] == [0, 0, 0, 1, 0, 0, 0, 1, 0, 0]
    custom = prep.prepare_images(
        "f",
        (pixels, labels),
        (pixels, labels),
        mnist.KIND.settings(kind="mnist", mean=0.1, std=0.2),
    )
    assert custom.x_train[0, 1].item() == pytest.approx((1.0 - 0.1) / 0.2)
    names = fashion_mnist.CLASSES
    fashion = prep.prepare_images(
        "fashion-mnist", (pixels, labels), (pixels, labels), settings, names
    )
    assert fashion.info["class_names"][9] == "Ankle boot"


def test_exam_scores_divide_by_training_column_maxima():
    x = np.array([[50.0, 20.0], [100.0, 40.0], [25.0, 80.0], [10.0, 10.0]])
    y = np.array([0, 1, 1, 0])
    data = exam_scores.from_arrays("exam-scores", x, y, EXAM, seed=0)
    assert data.info["feature_scale"] == [100.0, 80.0]
    assert data.x_train[:, 0].tolist() == pytest.approx([0.5, 1.0, 0.25, 0.1])
    assert data.x_test is None and data.info["class_counts"] == {"train": [2, 2], "test": None}


def test_exam_scores_with_a_test_split_scale_by_train_rows_only(tmp_path):
    x, y = exam_scores.read(write(tmp_path / "data.txt", EXAM_TEXT))
    cfg = exam_scores.Settings(kind="exam_scores", test_fraction=0.25)
    data = exam_scores.from_arrays("exam-scores", x, y, cfg, seed=3)
    assert data.info["shapes"]["x_test"] == [5, 2]
    assert data.x_train.max(0).tolist() == pytest.approx([1.0, 1.0])
    assert data.info["class_counts"]["test"] == [2, 3]


def test_diabetes_split_is_stratified_sized_and_seeded():
    x, y = np.arange(80.0).reshape(40, 2), np.array([0] * 12 + [1] * 28)
    cfg = diabetes.Settings(kind="diabetes", test_fraction=0.25)
    first = diabetes.from_arrays("diabetes", x, y, cfg, seed=1)
    assert first.info["class_counts"] == {"train": [9, 21], "test": [3, 7]}
    assert first.info["normalization"] is None
    again, other = (diabetes.from_arrays("diabetes", x, y, cfg, seed) for seed in (1, 2))
    assert np.array_equal(first.x_test, again.x_test)
    assert not np.array_equal(first.x_test, other.x_test)
    with pytest.raises(DataError, match=r"diabetes: cannot split 3 rows"):
        diabetes.from_arrays("diabetes", x[:3], np.array([0, 1, 1]), cfg, 1)


@pytest.mark.parametrize("name", ["diabetes", "breast-cancer"])
def test_test_fraction_null_trains_on_every_row_as_the_lessons_do(name):
    """`-S datasets.<name>.test_fraction=null` restores the lessons' all-rows training."""
    x, y = np.arange(80.0).reshape(40, 2), np.array([0] * 12 + [1] * 28)
    if name == "diabetes":
        cfg = diabetes.Settings(kind="diabetes", test_fraction=None)
        data = diabetes.from_arrays(name, x, y, cfg, seed=1)
    else:
        cfg = breast_cancer.Settings(kind="breast_cancer", test_fraction=None)
        data = breast_cancer.from_arrays(name, x, y, cfg, seed=1)
        assert np.abs(data.x_train.mean(0)).max() < 1e-5  # standardized on all rows
    assert not data.has_test and len(data.y_train) == 40
    assert data.info["class_counts"]["train"] == [12, 28]


def test_breast_cancer_is_standardized_with_training_statistics_only():
    x, y, names = breast_cancer.read(breast_cancer.shipped())
    cfg = breast_cancer.Settings(kind="breast_cancer")
    data = breast_cancer.from_arrays("breast-cancer", x, y, cfg, seed=5, class_names=names)
    assert data.info["shapes"]["x_train"] == [455, 30] and data.info["shapes"]["x_test"] == [
        114,
        30,
    ]
    assert np.abs(data.x_train.mean(0)).max() < 1e-5
    assert np.abs(data.x_train.std(0) - 1).max() < 1e-5
    assert np.abs(data.x_test.mean(0)).max() > 1e-3  # test rows use the training statistics
    norm = data.info["normalization"]
    train_rows = data.x_train.astype(np.float64) * norm["std"] + np.array(norm["mean"])
    assert train_rows.mean(0) == pytest.approx(np.array(norm["mean"]), rel=1e-5)
    assert data.info["class_names"] == ["malignant", "benign"]
    cfg = breast_cancer.Settings(kind="breast_cancer", standardize=False)
    raw = breast_cancer.from_arrays("breast-cancer", x, y, cfg, seed=5)
    assert raw.info["normalization"] is None and raw.x_train.max() > 100


def test_synthetic_regression_records_the_true_weight():
    cfg = synthetic_regression.Settings(
        kind="synthetic_regression", n_samples=50, n_features=2, noise=0.0, test_fraction=0.2
    )
    x, y, coef = synthetic_regression.generate(cfg, seed=4)
    data = synthetic_regression.from_arrays("synthetic-regression", x, y, coef, cfg, seed=4)
    assert data.info["task"] == "regression" and data.info["true_bias"] == 0.0
    assert data.y_train.dtype == np.float32 and data.info["shapes"]["x_test"] == [10, 2]
    weight = np.array(data.info["true_weight"], dtype=np.float32)
    assert np.allclose(data.x_train @ weight, data.y_train, atol=1e-3)
    assert data.info["num_classes"] is None and data.info["class_counts"] is None


def test_two_clusters_sit_around_plus_and_minus_center():
    cfg = two_clusters.Settings(
        kind="two_clusters", n_per_class=500, n_features=3, center=2.0, std=0.5
    )
    x, y = two_clusters.generate(cfg, seed=9)
    assert x[y == 0].mean(0) == pytest.approx([2.0] * 3, abs=0.1)
    assert x[y == 1].mean(0) == pytest.approx([-2.0] * 3, abs=0.1)
    assert np.array_equal(x, two_clusters.generate(cfg, seed=9)[0])
    data = two_clusters.from_arrays("two-clusters", x, y, cfg, seed=9)
    assert data.info["class_counts"] == {"train": [400, 400], "test": [100, 100]}


def listed(name: str, task: str, x: list, y: list):
    cfg = points.Settings(kind="points", task=task, x=x, y=y)
    return points.from_arrays(name, *points.arrays(cfg), cfg.task)


def test_listed_points_are_classification_or_regression_by_their_task():
    hours = listed("hours-pass", "classification", [1, 2, 3], [0, 0, 1])
    assert hours.y_train.dtype == np.int64 and hours.info["class_counts"]["train"] == [2, 1]
    assert hours.x_train.shape == (3, 1) and hours.x_test is None
    line = listed("linear-toy", "regression", [1, 2], [2, 4])
    assert line.y_train.dtype == np.float32 and line.info["task"] == "regression"
    with pytest.raises(DataError, match=r"study-hours: y = \[0.0, 2.0\] must hold class labels"):
        listed("study-hours", "classification", [1, 2], [0, 2])


# --- the stage ----------------------------------------------------------------------------

PARAMS = """\
seed: 11
datasets:
  mnist: {kind: mnist, mean: 0.5, std: 0.5}
  exam-scores: {kind: exam_scores, test_fraction: null}
  diabetes: {kind: diabetes, test_fraction: 0.25}
  hours-pass: {kind: points, task: classification, x: [1.0, 2.0, 3.0], y: [0, 0, 1]}
  linear-toy: {kind: points, task: regression, x: [1.0, 2.0, 3.0], y: [2.0, 4.0, 6.0]}
  breast-cancer: {kind: breast_cancer, test_fraction: 0.2, standardize: true}
  synthetic-regression:
    {kind: synthetic_regression, n_samples: 30, n_features: 1, noise: 1.0, test_fraction: null}
  two-clusters:
    {kind: two_clusters, n_per_class: 10, n_features: 2, center: 2.0, std: 1.0, test_fraction: 0.2}
"""
INFO_KEYS = {"name", "task", "num_classes", "shapes", "class_counts", "normalization", "split"}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """params.yaml and tiny raw data in tmp_path; source row counts matching the fixtures."""
    write(tmp_path / "params.yaml", PARAMS)
    write_idx_raw(layout.raw_dir(tmp_path, "mnist"))
    write(layout.raw_dir(tmp_path, "exam-scores") / "data.txt", EXAM_TEXT)
    write(layout.raw_dir(tmp_path, "diabetes") / "diabetes.csv", DIABETES_ROWS)
    layout.raw_dir(tmp_path, "breast-cancer").mkdir(parents=True)
    shutil.copy(breast_cancer.shipped(), layout.raw_dir(tmp_path, "breast-cancer"))
    small = {mnist: {"train": 6, "test": 4}, exam_scores: {"all": 20}, diabetes: {"all": 40}}
    for kind, rows in small.items():
        use_source(monkeypatch, kind, dataclasses.replace(kind.SOURCE, rows=rows))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def stage_args(workdir: Path, name: str) -> list[str]:
    return [name, "--params", "params.yaml", "--root", str(workdir)]


@pytest.mark.parametrize(
    "name",
    [
        "mnist",
        "exam-scores",
        "diabetes",
        "hours-pass",
        "linear-toy",
        "breast-cancer",
        "synthetic-regression",
        "two-clusters",
    ],
)
def test_stage_writes_loadable_npz_and_matching_json(workdir, capsys, name):
    stage.main(stage_args(workdir, name))
    npz, json_file = layout.prepared_file(workdir, name), layout.prepared_info(workdir, name)
    data = load_prepared(npz)
    info = json.loads(json_file.read_text())
    assert info == data.info and info["name"] == name and INFO_KEYS <= set(info)
    assert data.x_train.dtype == np.float32
    assert f"prepare {name}: {info['task']}" in capsys.readouterr().out
    assert sorted(npz.parent.iterdir()) == sorted([json_file, npz])
    # only the prepared folder is new under the root: nothing written next to the raw data
    assert sorted(p.name for p in (workdir / "data").iterdir()) == sorted(
        {npz.parent.name, layout.raw_dir(workdir, name).parent.name}
    )


def test_stage_reports_wrong_counts_and_unknown_names(workdir, monkeypatch):
    use_source(monkeypatch, exam_scores, EXAM_SOURCE)
    with pytest.raises(DataError, match=r"20 rows, expected 100"):
        stage.main(stage_args(workdir, "exam-scores"))
    with pytest.raises(ConfigError, match=r"unknown dataset 'mnits'. Did you mean 'mnist'"):
        stage.main(stage_args(workdir, "mnits"))
    assert not layout.prepared_file(workdir, "exam-scores").parent.exists()


def test_stage_reads_raw_data_under_its_root(workdir):
    """--root is where both the raw data and the output are; a root without raw data fails
    naming the file it looked for, and writes nothing."""
    other = workdir / "elsewhere"
    other.mkdir()
    with pytest.raises(DataError) as info:
        stage.main(["exam-scores", "--params", "params.yaml", "--root", str(other)])
    assert str(layout.raw_dir(other, "exam-scores")) in str(info.value)
    assert not layout.prepared_file(other, "exam-scores").exists()
    assert not layout.prepared_file(workdir, "exam-scores").exists()


def test_stage_for_a_toy_set_imports_no_torch_torchvision_or_sklearn(workdir):
    code = f"from stages.prepare import main\nmain({stage_args(workdir, 'hours-pass')!r})"
    assert imported_after(code, workdir) == []
