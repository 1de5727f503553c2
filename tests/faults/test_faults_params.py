"""params.yaml faults at the stage entry points: every field of a variant with a wrong type, a
value out of range or a misspelt key; unknown names; an empty ``variants:``; and ``device``
without a GPU. The stage exits 1 before any work, naming the key, the value, what is allowed
and where to fix it, and writes nothing."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import torch
from faultkit import call_stage, run_module, visible_files
from fixtures_data import BASE_PARAMS, write_prepared
from repo_kit import write_params

from lrlab.base import layout
from stages import evaluate as evaluate_stage
from stages import figures as figures_stage
from stages import reference as reference_stage
from stages import report as report_stage
from stages import train as train_stage

KEY = "two_clusters"  # sgd, relu mlp: every field below applies to it
FIX = "Fix them in params.yaml (or in your `dvc exp run -S` overrides) and rerun."


def set_key(dotted: str, value: Any):
    """An edit for write_params: ``variants.<KEY>.<dotted> = value``."""

    def edit(raw: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        node = raw["variants"][KEY]
        for part in parents:
            node = node[part]
        node[last] = value

    return edit


def rename_key(dotted: str, typo: str):
    """An edit for write_params: ``variants.<KEY>.<dotted>`` renamed to ``typo``."""

    def edit(raw: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        node = raw["variants"][KEY]
        for part in parents:
            node = node[part]
        defaults = {"momentum": 0.0, "weight_decay": 0.0, "init": "default", "form": "loop"}
        node[typo] = node.pop(last) if last in node else defaults.get(last, 1)

    return edit


def train_error(root: Path, capsys, edit) -> str:
    """The train stage's error for params edited by ``edit``; nothing may be written."""
    write_params(root, edit)
    message = call_stage(capsys, train_stage.main, KEY, "--root", root).error
    assert visible_files(root) == ["params.yaml"], "a failed stage wrote output"
    return message


# field -> (wrong type, what the message says)
WRONG_TYPE = {
    "dataset": (3, "Input should be a valid string"),
    "model": ("mlp", "Input should be a valid dictionary"),
    "model.kind": (["mlp"], "Input should be 'linear', 'logistic', 'softmax', 'mlp'"),
    "model.sizes": ("2-10-2", "Input should be a valid list"),
    "model.activation": (1, "Input should be 'sigmoid', 'relu' or 'tanh'"),
    "model.output": (True, "Input should be 'raw' or 'sigmoid'"),
    "model.init": (0, "Input should be 'default' or 'randn_zero'"),
    "model.form": (2, "Input should be 'vectorized' or 'loop'"),
    "loss": (1.5, "Input should be 'mse', 'mse_sum', 'bce'"),
    "optimizer": ("sgd", "Input should be a valid dictionary"),
    "optimizer.name": (None, "Input should be 'sgd' or 'adam'"),
    "optimizer.lr": ("fast", "Input should be a valid number"),
    "optimizer.momentum": (True, "Input should be a number, not the boolean true"),
    "optimizer.weight_decay": ([0.1], "Input should be a valid number"),
    "epochs": (True, "Input should be a number, not the boolean true"),
    "batch_size": ("all", "Input should be a valid integer, unable to parse string"),
    "shuffle": ("maybe", "Input should be a valid boolean"),
    "seed_offset": ("one", "Input should be a valid integer"),
    "query": ("4.0", "Input should be a valid list"),
}

# field -> (value out of range, what the message says)
OUT_OF_RANGE = {
    "model.sizes": ([2, 0, 2], "Input should be greater than 0"),
    "optimizer.lr": (0.0, "Input should be greater than 0"),
    "optimizer.momentum": (-0.9, "Input should be greater than or equal to 0"),
    "optimizer.weight_decay": (float("inf"), "Input should be a finite number"),
    "epochs": (0, "Input should be greater than 0"),
    "batch_size": (-64, "Input should be greater than 0; or Input should be 'full'"),
    "seed_offset": (-1, "Input should be greater than or equal to 0"),
    "query": ([float("nan")], "Input should be a finite number"),
}

# field -> typo of its key
TYPOS = {
    "dataset": "datset",
    "model": "modle",
    "model.kind": "knd",
    "model.sizes": "size",
    "model.activation": "activaton",
    "model.output": "ouptut",
    "model.init": "int",
    "model.form": "from",
    "loss": "los",
    "optimizer": "optimiser",
    "optimizer.name": "nmae",
    "optimizer.lr": "lrr",
    "optimizer.momentum": "momentun",
    "optimizer.weight_decay": "weightdecay",
    "epochs": "epoch",
    "batch_size": "batchsize",
    "shuffle": "shufle",
    "seed_offset": "seed_ofset",
    "query": "querry",
}


def _key_path(field: str, index: str = "") -> str:
    return f"variants.{KEY}.{field}{index}"


@pytest.mark.parametrize(
    ("field", "value", "says"), [(f, *v) for f, v in WRONG_TYPE.items()], ids=list(WRONG_TYPE)
)
def test_a_field_with_the_wrong_type_is_named_with_value_and_allowed(
    tmp_path, capsys, field, value, says
):
    message = train_error(tmp_path, capsys, set_key(field, value))
    assert message.startswith("error (train): params.yaml has invalid values:")
    assert f"{_key_path(field)} = {value!r}: " in message
    assert says in message and message.endswith(FIX)


@pytest.mark.parametrize(
    ("field", "value", "says"), [(f, *v) for f, v in OUT_OF_RANGE.items()], ids=list(OUT_OF_RANGE)
)
def test_a_field_out_of_range_is_named_with_value_and_bound(tmp_path, capsys, field, value, says):
    message = train_error(tmp_path, capsys, set_key(field, value))
    index = "[1]" if field == "model.sizes" else "[0]" if field == "query" else ""
    shown = value[1 if index == "[1]" else 0] if index else value
    assert f"{_key_path(field, index)} = {shown!r}: {says}" in message
    assert message.endswith(FIX)


@pytest.mark.parametrize(("field", "typo"), list(TYPOS.items()))
def test_a_misspelt_key_gets_a_did_you_mean(tmp_path, capsys, field, typo):
    message = train_error(tmp_path, capsys, rename_key(field, typo))
    parent = _key_path(field).rsplit(".", 1)[0]
    assert f"{parent}.{typo}: unknown key. Did you mean '{_key_path(field)}'?" in message
    assert "Allowed keys here:" in message and message.endswith(FIX)


@pytest.mark.parametrize(
    ("field", "value", "suggestion"),
    [
        ("model.kind", "mpl", "mlp"),
        ("loss", "cross_entropie", "cross_entropy"),
        ("optimizer.name", "adamw", "adam"),
    ],
)
@pytest.mark.parametrize("stage", [reference_stage, train_stage, evaluate_stage])
def test_an_unknown_name_is_refused_by_every_stage_that_reads_the_variant(
    tmp_path, capsys, stage, field, value, suggestion
):
    write_params(tmp_path, set_key(field, value))
    message = call_stage(capsys, stage.main, KEY, "--root", tmp_path).error
    assert f"{_key_path(field)} = {value!r}: Input should be" in message
    assert f"(did you mean '{suggestion}'?)" in message and message.endswith(FIX)
    assert visible_files(tmp_path) == ["params.yaml"]


@pytest.mark.parametrize("stage", [train_stage, evaluate_stage, figures_stage])
def test_an_unknown_dataset_is_refused_listing_the_known_ones(tmp_path, capsys, stage):
    """A dataset is a key under `datasets:`, the lessons' or your own; others are refused."""
    write_params(tmp_path, set_key("dataset", "two-cluster"))
    message = call_stage(capsys, stage.main, KEY, "--root", tmp_path).error
    assert f"{_key_path('dataset')} = 'two-cluster': not a dataset" in message
    assert "(did you mean 'two-clusters'?)" in message
    known = message.split("Known datasets: ", 1)[1]
    assert all(name in known for name in BASE_PARAMS["datasets"])
    assert "add your own under `datasets:`" in message
    assert visible_files(tmp_path) == ["params.yaml"]


def test_a_variant_that_is_not_a_mapping_is_refused(tmp_path, capsys):
    message = train_error(tmp_path, capsys, lambda raw: raw["variants"].__setitem__(KEY, "mlp"))
    assert f"params.yaml: variants.{KEY} = 'mlp': expected a mapping of settings" in message


@pytest.mark.parametrize("empty", [{}, None, []], ids=["empty-mapping", "null", "empty-list"])
@pytest.mark.parametrize(
    "stage", [train_stage, evaluate_stage, figures_stage, report_stage], ids=lambda s: s.__name__
)
def test_an_empty_variants_section_says_how_to_define_one(tmp_path, capsys, stage, empty):
    write_params(tmp_path, lambda raw: raw.__setitem__("variants", empty))
    args = ("--root", tmp_path) if stage is report_stage else (KEY, "--root", tmp_path)
    message = call_stage(capsys, stage.main, *args).error
    assert "params.yaml: variants is empty. Define at least one variant under `variants:`" in (
        message
    )
    assert "see README, 'Add a variant'" in message
    assert visible_files(tmp_path) == ["params.yaml"]


# --- device ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["linear_toy", "breast_cancer_numpy"])
def test_cuda_without_a_gpu_fails_before_reading_data_or_training(
    tmp_path, capsys, monkeypatch, key
):
    """Also for the NumPy variant, which trains on the CPU anyway: the setting is wrong."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    write_params(tmp_path, lambda raw: raw.__setitem__("device", "cuda"))  # no data at all
    message = call_stage(capsys, train_stage.main, key, "--root", tmp_path).error
    assert message.startswith("error (train): params.yaml: device = 'cuda', but no CUDA GPU")
    assert "Set `device: cpu` or `device: auto`" in message
    assert visible_files(tmp_path) == ["params.yaml"]


def test_cuda_without_a_gpu_as_a_subprocess(tmp_path):
    write_params(tmp_path, lambda raw: raw.__setitem__("device", "cuda"))
    write_prepared(tmp_path, "linear-toy")
    result = run_module("train", "linear_toy", "--root", tmp_path, env={"CUDA_VISIBLE_DEVICES": ""})
    assert "device = 'cuda', but no CUDA GPU is available on this machine" in result.error
    prepared = layout.relative(tmp_path, layout.prepared_file(tmp_path, "linear-toy"))
    assert visible_files(tmp_path) == sorted(["params.yaml", prepared])
    assert not layout.model_file(tmp_path, "linear_toy").exists()
    assert not layout.history_file(tmp_path, "linear_toy").exists()


def test_auto_without_a_gpu_trains_on_the_cpu_and_says_so_in_log_and_metrics(
    tmp_path, capsys, monkeypatch, caplog
):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    caplog.set_level(logging.INFO, logger="lrlab.train.device")
    write_params(tmp_path, lambda raw: raw.__setitem__("device", "auto"))
    write_prepared(tmp_path, "linear-toy")
    for stage in (reference_stage, train_stage, evaluate_stage):
        assert call_stage(capsys, stage.main, "linear_toy", "--root", tmp_path).code == 0
    assert "device: auto -> cpu (no CUDA GPU available, so training runs on the CPU)" in (
        caplog.text
    )
    checkpoint = torch.load(layout.model_file(tmp_path, "linear_toy"), weights_only=True)
    assert checkpoint["meta"]["device"] == "cpu"
    metrics = json.loads(layout.metrics_file(tmp_path, "linear_toy").read_text())
    assert metrics["device"] == "cpu"
