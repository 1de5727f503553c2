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
from fixtures_data import (
    ADDED_VARIANTS,
    EXTENDED_PARAMS,
    make_dataset,
    shape_of,
    write_prepared,
)
from repo_kit import prepared_repo, write_params

from lrlab.base import layout
from lrlab.base.errors import ConfigError, DataError, TrainingError
from lrlab.base.io import file_sha256
from lrlab.base.stage_args import run
from lrlab.core.binding import resolve_widths
from lrlab.core.config import ParamsFile, VariantConfig
from lrlab.core.inputs import input_recipe
from lrlab.core.model_file import CHECKPOINT_KEYS
from lrlab.core.outputs import HISTORY_COLUMNS
from lrlab.core.prepared import load_prepared, save_prepared
from lrlab.train.metrics import query_key
from lrlab.train.models import build_model
from lrlab.train.training import derive_seeds
from stages import evaluate as evaluate_stage
from stages import reference as reference_stage
from stages import train as train_stage

REPO = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((REPO / "params.yaml").read_text())
VARIANTS = list(EXTENDED_PARAMS["variants"])  # params.yaml's, and a user's on their CSV


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    datasets = {v["dataset"] for v in EXTENDED_PARAMS["variants"].values()}
    return prepared_repo(tmp_path_factory.mktemp("repo"), tuple(datasets), base=EXTENDED_PARAMS)


def run_all(root: Path, key: str) -> dict:
    args = [key, "--root", str(root)]
    reference_stage.main(args)
    train_stage.main([*args, "--evaluate"])
    return json.loads(layout.metrics_file(root, key).read_text())


def files_of(root: Path) -> list[str]:
    return sorted(layout.relative(root, p) for p in root.rglob("*") if p.is_file())


def for_data(variant: VariantConfig) -> VariantConfig:
    """The variant with its widths taken from the test data, as the train stage stores it."""
    d, k = shape_of(variant.dataset)[:2]
    return resolve_widths(variant, d, k or None)


def test_the_variants_run_here_are_params_yamls_and_a_users_additions():
    repo_variants = ParamsFile(REPO / "params.yaml").variant_keys()
    assert VARIANTS == [*repo_variants, *(k for k in ADDED_VARIANTS if k not in repo_variants)]


@pytest.mark.parametrize("key", VARIANTS)
def test_every_variant_runs_through_reference_train_and_evaluate(repo: Path, key: str):
    metrics = run_all(repo, key)
    variant = ParamsFile(repo / "params.yaml").variant(key)
    data_has_test = shape_of(variant.dataset)[3] > 0
    for split in ("train", "test") if data_has_test else ("train",):
        expected = {"loss", "mse"} if variant.task == "regression" else {"loss", "accuracy"}
        assert set(metrics[split]) == expected
    assert ("test" in metrics) == data_has_test
    resources = {"train_peak_rss_mb", "evaluate_peak_rss_mb"}
    assert {"reference", "train_seconds", "device", "epochs", "seed"} | resources <= set(metrics)
    assert "train_peak_cuda_mb" not in metrics  # on the CPU
    # a process that imported torch and numpy holds well over 50 MiB, and this one under 8 GiB
    assert all(50 < metrics[k] < 8192 for k in resources), {k: metrics[k] for k in resources}
    assert metrics["device"] == "cpu" and metrics["epochs"] == 1 and metrics["seed"] == 2017
    assert "train_loss" in metrics["reference"]
    assert ("optimality_gap" in metrics) == variant.is_convex
    if variant.task == "regression":
        assert {"r2", "weight", "bias"} <= set(metrics)
        assert isinstance(metrics["weight"], float)
    if variant.query:
        keys = {query_key(p) for p in variant.query_points}
        assert set(metrics["query"]) == set(metrics["query_initial"]) == keys
    if variant.model.kind == "logistic" and variant.model.sizes[0] == 1:
        assert "threshold_x" in metrics
    if variant.dataset == "exam-scores":
        assert len(metrics["raw_units"]["learned"]["weight"]) == 2
    if variant.dataset == "synthetic-regression":
        assert metrics["true_weight"] == 41.5

    history = pd.read_csv(layout.history_file(repo, key))
    assert list(history.columns) == list(HISTORY_COLUMNS) and len(history) == 1  # dvc.yaml's
    assert history["train_accuracy"].isna().all() == (variant.task == "regression")
    assert history["test_accuracy"].isna().all() == (not variant.test_each_epoch)
    predictions = pd.read_csv(layout.predictions_file(repo, key))
    assert list(predictions.columns) == ["actual", "predicted"]
    assert len(predictions) == shape_of(variant.dataset)[3 if data_has_test else 2]

    checkpoint = torch.load(layout.model_file(repo, key), weights_only=True)
    assert set(checkpoint) == CHECKPOINT_KEYS
    prepared = load_prepared(layout.prepared_file(repo, variant.dataset))
    assert checkpoint["inputs"] == input_recipe(prepared.info, prepared.x_train.shape[1])
    assert checkpoint["about"]["variant"] == key
    summary = {k: metrics[k] for k in ("train", "test", "r2", "optimality_gap") if k in metrics}
    assert checkpoint["about"]["metrics"] == summary and "train" in summary
    resolved = for_data(variant)
    assert checkpoint["config"] == resolved.model_dump()
    assert VariantConfig.model_validate(checkpoint["config"]).model.resolved
    assert set(checkpoint["meta"]) == {
        "device",
        "train_seconds",
        "epochs",
        "seed",
        "history_sha256",
        "train_peak_rss_mb",
    } | ({"seed_sweep_seconds"} if variant.seed_sweep else set())
    sweep = json.loads(layout.seeds_file(repo, key).read_text())
    assert sweep["seeds"] == list(range(variant.seed_sweep)) and sweep["diverged"] == 0
    assert all(len(column) == variant.seed_sweep for column in sweep["values"].values())
    assert ("train.loss" in sweep["values"]) == bool(variant.seed_sweep)
    assert checkpoint["meta"]["history_sha256"] == file_sha256(layout.history_file(repo, key))
    trained, initial = checkpoint["state_dict"], checkpoint["initial_state_dict"]
    assert {k: v.shape for k, v in initial.items()} == {k: v.shape for k, v in trained.items()}
    if variant.model.kind == "numpy_logistic":  # lesson 004 starts from zero weights
        assert all(not v.any() for v in initial.values())
    else:  # the weights the seed gives, before any step
        init_seed = derive_seeds(2017, variant.seed_offset)[0]
        generator = torch.Generator().manual_seed(init_seed)
        built = build_model(resolved.model, generator, resolved.init_draw)
        assert all(torch.equal(initial[k], v) for k, v in built.state_dict().items())
    assert any(not torch.equal(initial[k], trained[k]) for k in trained)  # one epoch moved it


def test_numpy_and_torch_logistic_checkpoints_have_the_same_layout(repo: Path):
    for key in ("breast_cancer_numpy", "breast_cancer_torch"):
        if not layout.model_file(repo, key).exists():
            train_stage.main([key, "--root", str(repo)])
    numpy_ckpt, torch_ckpt = (
        torch.load(layout.model_file(repo, k), weights_only=True)
        for k in ("breast_cancer_numpy", "breast_cancer_torch")
    )
    for part in ("state_dict", "initial_state_dict"):
        numpy_sd, torch_sd = numpy_ckpt[part], torch_ckpt[part]
        assert {k: v.shape for k, v in numpy_sd.items()} == {
            k: v.shape for k, v in torch_sd.items()
        }, part


def test_training_twice_gives_bit_identical_weights(repo: Path):
    key = "mnist_mlp"  # shuffled mini-batches and Adam: the most moving parts
    states = []
    for _ in range(2):
        train_stage.main([key, "--root", str(repo)])
        checkpoint = torch.load(layout.model_file(repo, key), weights_only=True)
        states.append(
            {
                **checkpoint["state_dict"],
                **{f"initial.{k}": v for k, v in checkpoint["initial_state_dict"].items()},
            }
        )
    assert set(states[0]) == set(states[1])
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_diverging_training_raises_and_writes_nothing(tmp_path: Path):
    def explode(raw: dict) -> None:
        raw["variants"]["linear_toy"].update(optimizer={"name": "sgd", "lr": 1.0e6}, epochs=50)

    write_params(tmp_path, explode)
    save_prepared(layout.prepared_file(tmp_path, "linear-toy"), make_dataset("linear-toy"))
    with pytest.raises(TrainingError) as info:
        train_stage.main(["linear_toy", "--root", str(tmp_path)])
    message = str(info.value)
    assert "linear_toy" in message and "epoch" in message and "1e+06" in message
    prepared = layout.relative(tmp_path, layout.prepared_file(tmp_path, "linear-toy"))
    assert files_of(tmp_path) == sorted(["params.yaml", prepared])  # no model, no history


def test_pickle_payload_in_a_model_file_is_refused(repo: Path, tmp_path: Path):
    marker = tmp_path / "payload-ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    key = "linear_toy"
    torch.save(
        {"state_dict": {}, "initial_state_dict": {}, "config": Payload(), "meta": {}},
        layout.model_file(repo, key),
    )
    with pytest.raises(DataError) as info:
        evaluate_stage.main([key, "--root", str(repo)])
    assert f"train@{key}" in str(info.value) and "weights-only" in str(info.value)
    assert not marker.exists()
    train_stage.main([key, "--root", str(repo)])  # leave a valid model for other tests


def test_evaluate_refuses_a_model_trained_with_other_settings(tmp_path: Path):
    save_prepared(layout.prepared_file(tmp_path, "linear-toy"), make_dataset("linear-toy"))
    write_params(tmp_path)
    reference_stage.main(["linear_toy", "--root", str(tmp_path)])
    train_stage.main(["linear_toy", "--root", str(tmp_path)])
    write_params(tmp_path, lambda raw: raw["variants"]["linear_toy"].update(epochs=7))
    with pytest.raises(ConfigError, match=r"dvc repro -s train@linear_toy"):
        evaluate_stage.main(["linear_toy", "--root", str(tmp_path)])


def test_feature_count_mismatch_names_the_sizes_key(tmp_path: Path, capsys):
    save_prepared(layout.prepared_file(tmp_path, "diabetes"), make_dataset("diabetes"))
    write_params(
        tmp_path, lambda raw: raw["variants"]["diabetes_deep"]["model"].update(sizes=[5, 6, 4, 1])
    )
    with pytest.raises(SystemExit) as exit_info:
        run(train_stage.main, ["diabetes_deep", "--root", str(tmp_path)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "variants.diabetes_deep.model.sizes" in err and "8 features" in err
    assert not layout.model_file(tmp_path, "diabetes_deep").parent.exists()
    assert not layout.history_file(tmp_path, "diabetes_deep").parent.exists()


def test_missing_prepared_data_is_a_clear_error(tmp_path: Path):
    write_params(tmp_path)
    for stage in (reference_stage, train_stage, evaluate_stage):
        with pytest.raises(DataError, match="dvc repro"):
            stage.main(["hours_pass", "--root", str(tmp_path)])


def test_reference_in_the_metrics_of_separable_toy_data(repo: Path):
    ref = run_all(repo, "hours_pass")["reference"]
    assert ref["separable"] is True and ref["train_loss"] == 0.0 and ref["kind"] == "optimum"


@pytest.mark.parametrize(
    ("key", "model", "sizes"),
    [
        ("fashion_softmax", {"kind": "softmax"}, [784, 10]),
        ("breast_cancer_numpy", {"kind": "numpy_logistic"}, [30, 1]),
        ("linear_synthetic", {"kind": "linear"}, [1, 1]),
        (
            "two_clusters",
            {"kind": "mlp", "sizes": ["in", 16, "out"], "activation": "tanh"},
            [2, 16, 2],
        ),
        ("diabetes_deep", {"kind": "mlp", "sizes": ["in", 6, "out"]}, [8, 6, 1]),
    ],
)
def test_widths_taken_from_the_data_are_stored_and_evaluated(tmp_path, key, model, sizes):
    """Sizes left out or written as in/out: the model file holds the numbers, and evaluate
    accepts it against the same variant (so it does not ask for a retrain)."""

    def edit(raw: dict) -> None:
        raw["variants"][key]["model"] = model  # output and sizes left to the defaults

    write_params(tmp_path, edit)
    dataset = BASE["variants"][key]["dataset"]
    save_prepared(layout.prepared_file(tmp_path, dataset), make_dataset(dataset))
    metrics = run_all(tmp_path, key)
    checkpoint = torch.load(layout.model_file(tmp_path, key), weights_only=True)
    assert checkpoint["config"]["model"]["sizes"] == sizes
    assert (
        checkpoint["config"]
        == for_data(ParamsFile(tmp_path / "params.yaml").variant(key)).model_dump()
    )
    assert metrics["epochs"] == 1 and "train" in metrics
    # a stored config from other data no longer matches: evaluate asks for a retrain
    checkpoint["config"]["model"]["sizes"] = [sizes[0] + 1, *sizes[1:]]
    torch.save(checkpoint, layout.model_file(tmp_path, key))
    with pytest.raises(ConfigError, match=rf"dvc repro -s train@{key}"):
        evaluate_stage.main([key, "--root", str(tmp_path)])


def test_test_each_epoch_adds_a_test_accuracy_column_and_needs_a_test_split(tmp_path: Path):
    write_prepared(tmp_path, "two-clusters", "study-hours")

    def per_epoch(raw: dict) -> None:
        for key in ("two_clusters", "study_hours"):
            raw["variants"][key].update(test_each_epoch=True, epochs=3)

    write_params(tmp_path, per_epoch)
    for stage in (reference_stage, train_stage):
        stage.main(["two_clusters", "--root", str(tmp_path)])
    history = pd.read_csv(layout.history_file(tmp_path, "two_clusters"))
    assert list(history.columns) == ["epoch", "train_loss", "train_accuracy", "test_accuracy"]
    assert len(history) == 3 and history["test_accuracy"].between(0, 1).all()
    with pytest.raises(ConfigError, match=r"variants.study_hours.test_each_epoch = true needs"):
        train_stage.main(["study_hours", "--root", str(tmp_path)])  # no test split
