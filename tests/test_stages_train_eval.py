"""The reference, train and evaluate stages end to end: every variant of params.yaml runs one
epoch on a tiny in-memory dataset of the right shape in a temporary repository layout, and
the stages refuse unsafe or mismatched inputs without writing anything."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from fixtures_data import SHAPES, make_dataset, write_params

from lrlab.config import ParamsFile
from lrlab.datasets.prepared import prepared_path, save_prepared
from lrlab.errors import ConfigError, DataError, TrainingError
from stages import evaluate as evaluate_stage
from stages import train as train_stage
from stages._cli import run

REPO = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((REPO / "params.yaml").read_text())
VARIANTS = list(BASE["variants"])


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    write_params(root)
    for name in SHAPES:
        save_prepared(prepared_path(root, name), make_dataset(name))
    return root


def run_all(root: Path, key: str) -> dict:
    args = [key, "--root", str(root)]
    train_stage.main(args)
    evaluate_stage.main(args)
    return json.loads((root / "metrics" / f"{key}.json").read_text())


def test_params_cover_every_variant_and_dataset():
    assert len(VARIANTS) == 13
    assert {v["dataset"] for v in BASE["variants"].values()} <= set(SHAPES)


@pytest.mark.parametrize("key", VARIANTS)
def test_every_variant_runs_through_reference_train_and_evaluate(repo: Path, key: str):
    metrics = run_all(repo, key)
    variant = ParamsFile(repo / "params.yaml").variant(key)
    data_has_test = SHAPES[variant.dataset][3] > 0
    for split in ("train", "test") if data_has_test else ("train",):
        expected = {"loss", "mse"} if variant.task == "regression" else {"loss", "accuracy"}
        assert set(metrics[split]) == expected
    assert ("test" in metrics) == data_has_test
    assert {"reference", "train_seconds", "device", "epochs", "seed"} <= set(metrics)
    assert metrics["device"] == "cpu" and metrics["epochs"] == 1 and metrics["seed"] == 2017
    assert "train_loss" in metrics["reference"]
    assert ("optimality_gap" in metrics) == variant.is_convex
    if variant.task == "regression":
        assert {"r2", "weight", "bias"} <= set(metrics)
        assert isinstance(metrics["weight"], float)
    if variant.query:
        assert set(metrics["query"]) == {f"x={float(q)}" for q in variant.query}
    if variant.model.kind == "logistic" and variant.model.sizes[0] == 1:
        assert "threshold_x" in metrics
    if variant.dataset == "exam-scores":
        assert len(metrics["raw_units"]["learned"]["weight"]) == 2
    if variant.dataset == "synthetic-regression":
        assert metrics["true_weight"] == 41.5

    history = pd.read_csv(repo / "plots" / key / "history.csv")
    cols = ["epoch", "train_loss"] + (["train_accuracy"] if variant.task != "regression" else [])
    assert list(history.columns) == cols and len(history) == 1
    predictions = pd.read_csv(repo / "plots" / key / "predictions.csv")
    assert list(predictions.columns) == ["actual", "predicted"]
    assert len(predictions) == SHAPES[variant.dataset][3 if data_has_test else 2]

    checkpoint = torch.load(repo / "models" / f"{key}.pt", weights_only=True)
    assert set(checkpoint) == {"state_dict", "config", "meta"}
    assert checkpoint["config"] == variant.model_dump()
    assert set(checkpoint["meta"]) == {"device", "train_seconds", "epochs", "seed"}


def test_numpy_and_torch_logistic_checkpoints_have_the_same_layout(repo: Path):
    for key in ("breast_cancer_numpy", "breast_cancer_torch"):
        if not (repo / "models" / f"{key}.pt").exists():
            train_stage.main([key, "--root", str(repo)])
    numpy_sd, torch_sd = (
        torch.load(repo / "models" / f"{k}.pt", weights_only=True)["state_dict"]
        for k in ("breast_cancer_numpy", "breast_cancer_torch")
    )
    assert {k: v.shape for k, v in numpy_sd.items()} == {k: v.shape for k, v in torch_sd.items()}


def test_training_twice_gives_bit_identical_weights(repo: Path):
    key = "mnist_mlp"  # shuffled mini-batches and Adam: the most moving parts
    states = []
    for _ in range(2):
        train_stage.main([key, "--root", str(repo)])
        states.append(torch.load(repo / "models" / f"{key}.pt", weights_only=True)["state_dict"])
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_diverging_training_raises_and_writes_nothing(tmp_path: Path):
    def explode(raw: dict) -> None:
        raw["variants"]["linear_toy"].update(optimizer={"name": "sgd", "lr": 1.0e6}, epochs=50)

    write_params(tmp_path, explode)
    save_prepared(prepared_path(tmp_path, "linear-toy"), make_dataset("linear-toy"))
    with pytest.raises(TrainingError) as info:
        train_stage.main(["linear_toy", "--root", str(tmp_path)])
    message = str(info.value)
    assert "linear_toy" in message and "epoch" in message and "1e+06" in message
    assert not (tmp_path / "models").exists() and not (tmp_path / "plots").exists()


def test_pickle_payload_in_a_model_file_is_refused(repo: Path, tmp_path: Path):
    marker = tmp_path / "payload-ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    key = "linear_toy"
    torch.save({"state_dict": {}, "config": Payload(), "meta": {}}, repo / "models" / f"{key}.pt")
    with pytest.raises(DataError) as info:
        evaluate_stage.main([key, "--root", str(repo)])
    assert f"train@{key}" in str(info.value) and "weights-only" in str(info.value)
    assert not marker.exists()
    train_stage.main([key, "--root", str(repo)])  # leave a valid model for other tests


def test_evaluate_refuses_a_model_trained_with_other_settings(tmp_path: Path):
    save_prepared(prepared_path(tmp_path, "linear-toy"), make_dataset("linear-toy"))
    write_params(tmp_path)
    train_stage.main(["linear_toy", "--root", str(tmp_path)])
    write_params(tmp_path, lambda raw: raw["variants"]["linear_toy"].update(epochs=7))
    with pytest.raises(ConfigError, match=r"dvc repro -s train@linear_toy"):
        evaluate_stage.main(["linear_toy", "--root", str(tmp_path)])


def test_feature_count_mismatch_names_the_sizes_key(tmp_path: Path, capsys):
    save_prepared(prepared_path(tmp_path, "diabetes"), make_dataset("diabetes"))
    write_params(
        tmp_path, lambda raw: raw["variants"]["diabetes_deep"]["model"].update(sizes=[5, 6, 4, 1])
    )
    with pytest.raises(SystemExit) as exit_info:
        run(train_stage.main, ["diabetes_deep", "--root", str(tmp_path)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "variants.diabetes_deep.model.sizes" in err and "8 features" in err
    assert not (tmp_path / "models").exists()


def test_missing_prepared_data_is_a_clear_error(tmp_path: Path):
    write_params(tmp_path)
    for stage in (train_stage, evaluate_stage):
        with pytest.raises(DataError, match="dvc repro"):
            stage.main(["hours_pass", "--root", str(tmp_path)])


def test_reference_in_the_metrics_of_separable_toy_data(repo: Path):
    ref = run_all(repo, "hours_pass")["reference"]
    assert ref["separable"] is True and ref["train_loss"] == 0.0 and ref["kind"] == "optimum"
