"""params.yaml parsing: every rule stops with a message naming key, value and what is allowed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from lrlab.config import ALL_DATASETS, ParamsFile, VariantConfig
from lrlab.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((REPO / "params.yaml").read_text())


def params_with(tmp_path: Path, edit) -> ParamsFile:
    raw = copy.deepcopy(BASE)
    edit(raw)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return ParamsFile(path)


def error_of(call) -> str:
    with pytest.raises(ConfigError) as info:
        call()
    return str(info.value)


def test_repository_params_are_valid():
    params = ParamsFile(REPO / "params.yaml")
    runtime = params.runtime()
    assert runtime.device in ("auto", "cpu", "cuda")
    for name in ALL_DATASETS:
        params.dataset(name)
    keys = params.variant_keys()
    assert len(keys) == 13
    assert all(isinstance(params.variant(k), VariantConfig) for k in keys)


def test_config_objects_are_frozen():
    variant = ParamsFile(REPO / "params.yaml").variant("mnist_mlp")
    with pytest.raises(ValidationError):
        variant.epochs = 3  # type: ignore[misc]


def set_in(raw: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = raw
    for key in parents:
        node = node[key]
    node[last] = value


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("variants.mnist_mlp.optimizer.lr", -0.1, "greater than 0"),
        ("variants.mnist_mlp.optimizer.lr", "fast", "valid number"),
        ("variants.mnist_mlp.batch_size", 0, "greater than 0"),
        ("variants.mnist_mlp.epochs", 0, "greater than 0"),
        ("variants.mnist_mlp.epochs", 2.5, "valid integer"),
        ("variants.mnist_mlp.seed_offset", -1, "greater than or equal to 0"),
        ("variants.mnist_mlp.model.activation", "gelu", "'sigmoid', 'relu' or 'tanh'"),
        ("variants.mnist_mlp.optimizer.name", "rmsprop", "'sgd' or 'adam'"),
    ],
)
def test_variant_field_errors_name_key_value_and_allowed(tmp_path, key, value, expected):
    params = params_with(tmp_path, lambda raw: set_in(raw, key, value))
    message = error_of(lambda: params.variant("mnist_mlp"))
    assert f"{key} = {value!r}" in message
    assert expected in message


def test_list_item_errors_name_the_index(tmp_path):
    params = params_with(
        tmp_path, lambda raw: set_in(raw, "variants.mnist_mlp.model.sizes", [784, 0, 10])
    )
    message = error_of(lambda: params.variant("mnist_mlp"))
    assert "variants.mnist_mlp.model.sizes[1] = 0: Input should be greater than 0" in message


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.2])
def test_test_fraction_must_lie_strictly_between_0_and_1(tmp_path, fraction):
    params = params_with(
        tmp_path, lambda raw: set_in(raw, "datasets.diabetes.test_fraction", fraction)
    )
    message = error_of(lambda: params.dataset("diabetes"))
    assert f"datasets.diabetes.test_fraction = {fraction!r}" in message


def test_unknown_device_is_rejected_with_choices(tmp_path):
    params = params_with(tmp_path, lambda raw: set_in(raw, "device", "tpu"))
    message = error_of(params.runtime)
    assert "device = 'tpu'" in message and "'auto', 'cpu' or 'cuda'" in message


def test_typo_in_variant_key_suggests_nearest(tmp_path):
    def edit(raw):
        raw["variants"]["mnist_mlp"]["optimzer"] = raw["variants"]["mnist_mlp"].pop("optimizer")

    message = error_of(lambda: params_with(tmp_path, edit).variant("mnist_mlp"))
    assert "variants.mnist_mlp.optimzer: unknown key" in message
    assert "Did you mean 'variants.mnist_mlp.optimizer'?" in message


def test_typo_in_nested_key_suggests_nearest(tmp_path):
    params = params_with(tmp_path, lambda raw: set_in(raw, "datasets.mnist.sdt", 0.5))
    message = error_of(lambda: params.dataset("mnist"))
    assert "Did you mean 'datasets.mnist.std'?" in message


def test_typo_in_top_level_key_suggests_nearest(tmp_path):
    params = params_with(tmp_path, lambda raw: raw.__setitem__("sed", raw.pop("seed")))
    message = error_of(params.seed)
    assert "seed: key is missing" in message and "Did you mean 'sed'?" in message


def test_unknown_dataset_name_suggests_nearest(tmp_path):
    params = params_with(tmp_path, lambda raw: set_in(raw, "variants.mnist_mlp.dataset", "mnsit"))
    message = error_of(lambda: params.variant("mnist_mlp"))
    assert "variants.mnist_mlp.dataset = 'mnsit'" in message and "did you mean 'mnist'" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [("loss", "hinge"), ("model.kind", "svm"), ("optimizer.name", "lbfgs")],
)
def test_unknown_choice_names_are_rejected(tmp_path, field, value):
    params = params_with(tmp_path, lambda raw: set_in(raw, f"variants.two_clusters.{field}", value))
    message = error_of(lambda: params.variant("two_clusters"))
    assert f"variants.two_clusters.{field} = {value!r}" in message


def test_loss_must_fit_the_model_output(tmp_path):
    params = params_with(tmp_path, lambda raw: set_in(raw, "variants.mnist_mlp.loss", "bce"))
    message = error_of(lambda: params.variant("mnist_mlp"))
    assert "loss 'bce' takes probabilities" in message


def test_model_sizes_must_fit_the_kind(tmp_path):
    params = params_with(
        tmp_path, lambda raw: set_in(raw, "variants.linear_toy.model.sizes", [1, 4, 1])
    )
    message = error_of(lambda: params.variant("linear_toy"))
    assert "has no hidden layer" in message


def test_toy_lists_must_match_in_length(tmp_path):
    params = params_with(tmp_path, lambda raw: set_in(raw, "datasets.linear-toy.y", [1.0]))
    message = error_of(lambda: params.dataset("linear-toy"))
    assert "x has 3 values but y has 1" in message


def test_empty_variants_section_is_a_clear_error(tmp_path):
    params = params_with(tmp_path, lambda raw: raw.__setitem__("variants", {}))
    assert "variants is empty" in error_of(lambda: params.variant("mnist_mlp"))


def test_missing_variant_suggests_nearest(tmp_path):
    params = params_with(tmp_path, lambda raw: None)
    message = error_of(lambda: params.variant("mnist_mpl"))
    assert "variants.mnist_mpl: key is missing" in message and "mnist_mlp" in message


def test_a_stage_reads_only_its_section(tmp_path):
    """A broken variant must not stop a stage that does not read it."""
    params = params_with(tmp_path, lambda raw: set_in(raw, "variants.mnist_mlp.epochs", -5))
    params.dataset("mnist")
    params.variant("fashion_softmax")
    assert params.runtime().seed == BASE["seed"]


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("seed: [1, 2\n")
    assert "not valid YAML" in error_of(lambda: ParamsFile(bad))
    assert "file not found" in error_of(lambda: ParamsFile(tmp_path / "nope.yaml"))
