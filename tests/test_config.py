"""params.yaml parsing: every rule stops with a message naming key, value and what is allowed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from lrlab.base.errors import ConfigError
from lrlab.core.binding import resolve_widths
from lrlab.core.config import ModelConfig, ParamsFile, VariantConfig
from lrlab.core.loss_table import LOSSES
from lrlab.datasets.prepare import dataset_settings

REPO = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((REPO / "params.yaml").read_text())
DATASETS = list(BASE["datasets"])


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
    assert DATASETS and all(dataset_settings(params, name).kind for name in DATASETS)
    keys = params.variant_keys()
    assert keys == list(BASE["variants"]) and keys  # every variant, in file order
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
    message = error_of(lambda: dataset_settings(params, "diabetes"))
    assert f"datasets.diabetes.test_fraction = {fraction!r}" in message


def test_unknown_device_is_rejected_with_choices(tmp_path):
    params = params_with(tmp_path, lambda raw: set_in(raw, "device", "tpu"))
    message = error_of(params.runtime)
    assert "device = 'tpu'" in message and "'auto', 'cpu', 'cuda' or 'cuda:N'" in message


def test_typo_in_variant_key_suggests_nearest(tmp_path):
    def edit(raw):
        raw["variants"]["mnist_mlp"]["optimzer"] = raw["variants"]["mnist_mlp"].pop("optimizer")

    message = error_of(lambda: params_with(tmp_path, edit).variant("mnist_mlp"))
    assert "variants.mnist_mlp.optimzer: unknown key" in message
    assert "Did you mean 'variants.mnist_mlp.optimizer'?" in message


def test_typo_in_nested_key_suggests_nearest(tmp_path):
    params = params_with(tmp_path, lambda raw: set_in(raw, "datasets.mnist.sdt", 0.5))
    message = error_of(lambda: dataset_settings(params, "mnist"))
    assert "Did you mean 'datasets.mnist.std'?" in message


def test_typo_in_top_level_key_suggests_nearest(tmp_path):
    params = params_with(tmp_path, lambda raw: raw.__setitem__("sed", raw.pop("seed")))
    message = error_of(params.seed)
    assert "seed: key is missing" in message and "Did you mean 'sed'?" in message


def test_unknown_dataset_name_suggests_nearest(tmp_path):
    params = params_with(tmp_path, lambda raw: set_in(raw, "variants.mnist_mlp.dataset", "mnsit"))
    message = error_of(lambda: params.variant("mnist_mlp"))
    assert "variants.mnist_mlp.dataset = 'mnsit'" in message and "did you mean 'mnist'" in message


def test_unknown_dataset_names_the_key_and_lists_the_known_datasets(tmp_path):
    def edit(raw):
        raw["datasets"]["my-points"] = {"kind": "csv", "source": "data/external/p.csv"}
        set_in(raw, "variants.linear_toy.dataset", "no-such-data")

    params = params_with(tmp_path, edit)
    message = error_of(lambda: params.variant("linear_toy"))
    assert "variants.linear_toy.dataset = 'no-such-data': not a dataset" in message
    assert "did you mean" not in message  # nothing is close
    known = message.split("Known datasets: ", 1)[1]
    for name in (*DATASETS, "my-points"):  # the lessons' and your own, all under datasets:
        assert name in known, name
    assert "add your own under `datasets:`" in message
    assert message.endswith(
        "Fix them in params.yaml (or in your `dvc exp run -S` overrides) and rerun."
    )

    # a key under datasets: is a dataset a variant may use; other variants are unaffected
    def use_own(raw):
        edit(raw)
        set_in(raw, "variants.linear_toy.dataset", "my-points")

    assert params_with(tmp_path, use_own).variant("linear_toy").dataset == "my-points"
    assert params.variant("linear_15pt").dataset == "linear-15pt"


def test_the_variant_name_lessons_is_reserved(tmp_path):
    def edit(raw):
        raw["variants"]["lessons"] = copy.deepcopy(raw["variants"]["linear_toy"])

    params = params_with(tmp_path, edit)
    message = error_of(lambda: params.variant("lessons"))
    assert "variants.lessons" in message and "'lessons' is reserved" in message
    assert "Rename the variant" in message
    assert params.variant("linear_toy").dataset == "linear-toy"  # the others still load


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
    message = error_of(lambda: dataset_settings(params, "linear-toy"))
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
    dataset_settings(params, "mnist")
    params.variant("fashion_softmax")
    assert params.runtime().seed == BASE["seed"]


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("seed: [1, 2\n")
    assert "not valid YAML" in error_of(lambda: ParamsFile(bad))
    assert "file not found" in error_of(lambda: ParamsFile(tmp_path / "nope.yaml"))


# --- widths from the data, output from the loss ---------------------------------------------


def variant_of(model: dict[str, Any], loss: str, dataset: str = "two-clusters") -> VariantConfig:
    return VariantConfig.model_validate(
        {
            "dataset": dataset,
            "model": model,
            "loss": loss,
            "optimizer": {"name": "sgd", "lr": 0.1},
            "epochs": 1,
        }
    )


@pytest.mark.parametrize(
    ("kind", "loss", "n_features", "num_classes", "sizes"),
    [
        ("linear", "mse", 3, None, [3, 1]),
        ("logistic", "bce", 5, 2, [5, 1]),
        ("logistic", "bce_logits", 2, 2, [2, 1]),
        ("numpy_logistic", "bce", 30, 2, [30, 1]),
        ("softmax", "cross_entropy", 784, 10, [784, 10]),
        ("softmax", "cross_entropy", 2, 3, [2, 3]),
    ],
)
def test_omitted_sizes_come_from_the_data(kind, loss, n_features, num_classes, sizes):
    variant = variant_of({"kind": kind}, loss)
    assert variant.model.sizes is None and not variant.model.resolved
    resolved = resolve_widths(variant, n_features, num_classes)
    assert resolved.model.sizes == sizes and resolved.model.resolved
    assert resolved.model.kind == kind and resolved.loss == loss
    assert variant.model.sizes is None  # resolve_widths returns a new config


def test_omitted_sizes_in_params_yaml_come_from_the_data(tmp_path):
    def edit(raw):
        raw["variants"]["fashion_softmax"]["model"].pop("sizes")
        raw["variants"]["breast_cancer_torch"]["model"].pop("sizes")

    params = params_with(tmp_path, edit)
    softmax = params.variant("fashion_softmax")
    assert softmax.model.sizes is None
    assert resolve_widths(softmax, 784, 10).model.sizes == [784, 10]
    assert resolve_widths(params.variant("breast_cancer_torch"), 30, 2).model.sizes == [30, 1]


def test_an_mlp_needs_sizes():
    with pytest.raises(ValidationError, match=r"an mlp needs sizes: \[in, hidden..., out\]"):
        variant_of({"kind": "mlp"}, "cross_entropy")


@pytest.mark.parametrize(
    ("loss", "num_classes", "expected"),
    [("cross_entropy", 3, [2, 16, 3]), ("bce", 2, [2, 16, 1]), ("mse", None, [2, 16, 1])],
)
def test_mlp_in_and_out_widths_come_from_the_data(loss, num_classes, expected):
    variant = variant_of({"kind": "mlp", "sizes": ["in", 16, "out"]}, loss)
    assert variant.model.sizes == ["in", 16, "out"] and not variant.model.resolved
    resolved = resolve_widths(variant, 2, num_classes)
    assert resolved.model.sizes == expected and resolved.model.resolved
    # the hidden widths and every other setting stay as written
    assert resolved.model_dump() == {
        **variant.model_dump(),
        "model": {**variant.model.model_dump(), "sizes": expected},
    }
    four = variant_of({"kind": "mlp", "sizes": ["in", 8, 4, "out"]}, loss)
    assert resolve_widths(four, 5, num_classes).model.sizes == [5, 8, 4, expected[-1]]


def test_resolve_widths_keeps_explicit_widths_for_the_data_check():
    """Numbers written in params.yaml are not replaced: a mismatch with the data is caught by
    bind, naming the sizes key, not silently fixed."""
    variant = variant_of({"kind": "mlp", "sizes": [8, 6, 1]}, "bce", dataset="diabetes")
    assert variant.model.resolved
    assert resolve_widths(variant, 5, 2).model.sizes == [8, 6, 1]
    assert resolve_widths(variant, 5, 2) == variant


@pytest.mark.parametrize(
    "sizes",
    [["in", 16, "in"], [4, "in", 1], ["out", 16, "out"], ["in", "out", 10], [4, "out", 16, 1]],
    ids=str,
)
def test_in_and_out_only_as_first_and_last_width(tmp_path, sizes):
    params = params_with(
        tmp_path, lambda raw: set_in(raw, "variants.two_clusters.model.sizes", sizes)
    )
    message = error_of(lambda: params.variant("two_clusters"))
    assert "variants.two_clusters.model" in message
    assert "'in' may only be the first width and 'out' only the last" in message
    with pytest.raises(ValidationError, match="'in' may only be the first width"):
        ModelConfig(kind="mlp", sizes=sizes)


def test_in_and_out_are_the_only_words_allowed_as_widths(tmp_path):
    params = params_with(
        tmp_path, lambda raw: set_in(raw, "variants.two_clusters.model.sizes", ["in", "ten", 2])
    )
    message = error_of(lambda: params.variant("two_clusters"))
    assert "variants.two_clusters.model.sizes[1] = 'ten'" in message
    assert "'in' or 'out'" in message


@pytest.mark.parametrize("loss", list(LOSSES))
def test_model_output_defaults_from_the_loss(loss):
    regression = ("mse", "mse_sum", "huber")
    kind = "linear" if loss in regression else "softmax" if loss == "cross_entropy" else "logistic"
    variant = variant_of({"kind": kind}, loss)
    expected = "sigmoid" if loss in ("bce", "bce_sum", "bce_clamped") else "raw"
    assert LOSSES[loss].output == expected
    assert variant.model.output == expected
    assert variant.task == LOSSES[loss].task
    assert variant.task == ("regression" if loss in regression else "classification")


def test_model_output_defaults_from_the_loss_in_params_yaml(tmp_path):
    def edit(raw):
        for key in ("study_hours", "exam_scores_builtin", "two_clusters", "linear_toy"):
            raw["variants"][key]["model"].pop("output")

    params = params_with(tmp_path, edit)
    assert params.variant("study_hours").model.output == "sigmoid"  # bce
    assert params.variant("exam_scores_builtin").model.output == "raw"  # bce_logits
    assert params.variant("two_clusters").model.output == "raw"  # cross_entropy
    assert params.variant("linear_toy").model.output == "raw"  # mse_sum


def test_an_explicit_output_that_does_not_fit_the_loss_is_still_refused(tmp_path):
    params = params_with(
        tmp_path, lambda raw: set_in(raw, "variants.study_hours.model.output", "raw")
    )
    message = error_of(lambda: params.variant("study_hours"))
    assert "loss 'bce' takes probabilities, so model.output must be 'sigmoid'" in message


def test_a_dataset_is_read_with_the_schema_of_its_kind(tmp_path):
    own = {"kind": "csv", "source": "data/external/p.csv", "target": "y", "task": "regression"}
    params = params_with(tmp_path, lambda raw: raw["datasets"].update({"points": own}))
    assert dataset_settings(params, "points").source == "data/external/p.csv"
    assert dataset_settings(params, "mnist").mean == BASE["datasets"]["mnist"]["mean"]
    message = error_of(lambda: dataset_settings(params, "pionts"))
    assert "unknown dataset 'pionts'" in message and "Did you mean 'points'?" in message
    # the kind's schema, not another's: a csv setting on an mnist block is an unknown key
    wrong = params_with(tmp_path, lambda raw: raw["datasets"]["mnist"].update(target="y"))
    message = error_of(lambda: dataset_settings(wrong, "mnist"))
    assert "datasets.mnist.target: unknown key. Allowed keys here: kind, mean, std." in message
    listed = params_with(tmp_path, lambda raw: raw.update(datasets=["points"]))
    assert "is not a mapping" in error_of(lambda: dataset_settings(listed, "points"))


def test_a_dataset_names_a_known_kind(tmp_path):
    params = params_with(tmp_path, lambda raw: set_in(raw, "datasets.mnist.kind", "mnsit"))
    message = error_of(lambda: dataset_settings(params, "mnist"))
    assert "datasets.mnist.kind = 'mnsit': not a dataset kind (did you mean 'mnist'?)" in message
    assert "Kinds: breast_cancer, csv, diabetes," in message
    assert message.endswith(
        "Fix them in params.yaml (or in your `dvc exp run -S` overrides) and rerun."
    )
    params = params_with(tmp_path, lambda raw: raw["datasets"]["mnist"].pop("kind"))
    message = error_of(lambda: dataset_settings(params, "mnist"))
    assert "datasets.mnist.kind: required key is missing. Every dataset names its kind" in message


def test_a_multiclass_loss_on_data_without_classes_is_a_config_error(tmp_path):
    variant = ParamsFile(REPO / "params.yaml").variant("fashion_softmax")
    message = error_of(lambda: resolve_widths(variant, 784, None))
    assert "loss 'cross_entropy' needs the class count of dataset 'fashion-mnist'" in message
    assert "Use loss mse" in message


@pytest.mark.parametrize("key", ["linear_toy", "breast_cancer_numpy"])
def test_test_each_epoch_needs_a_classifier_trained_by_torch(tmp_path, key):
    params = params_with(tmp_path, lambda raw: raw["variants"][key].update(test_each_epoch=True))
    message = error_of(lambda: params.variant(key))
    assert f"variants.{key}: test_each_epoch records a test accuracy" in message


# every message of a model kind's rules, word for word (lrlab.core.model_kinds derives them)
KIND_MESSAGES = [
    ({"kind": "mlp"}, "an mlp needs sizes: [in, hidden..., out] (e.g. [in, 16, out])"),
    (
        {"kind": "mlp", "sizes": [2, 1]},
        "an mlp needs at least one hidden layer: sizes [in, hidden..., out]",
    ),
    ({"kind": "linear", "sizes": [1, 4, 1]}, "a linear model has no hidden layer: sizes must be"),
    ({"kind": "softmax", "sizes": [1, 4, 3]}, "a softmax model has no hidden layer: sizes must"),
    (
        {"kind": "logistic", "sizes": [2, 3]},
        "a logistic model has one output: sizes must end with 1",
    ),
    ({"kind": "numpy_logistic", "sizes": [2, 3]}, "a numpy_logistic model has one output: sizes"),
    ({"kind": "softmax", "sizes": [2, 1]}, "a softmax model needs at least 2 outputs (classes)"),
    ({"kind": "linear", "sizes": [2, 1], "output": "sigmoid"}, "a linear model has output 'raw'"),
    (
        {"kind": "softmax", "sizes": [2, 3], "output": "sigmoid"},
        "a softmax model has output 'raw', ",
    ),
    ({"kind": "perceptron"}, "Input should be 'linear', 'logistic', 'softmax', 'mlp'"),
]


@pytest.mark.parametrize(("model", "says"), KIND_MESSAGES)
def test_each_model_kind_rule_keeps_its_message(model, says):
    with pytest.raises(ValidationError) as info:
        ModelConfig.model_validate(model)
    assert says in str(info.value)


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (
            {"optimizer": {"name": "adam", "lr": 0.1}},
            "numpy_logistic trains full-batch gradient descent on loss 'bce'",
        ),
        (
            {"loss": "bce_logits"},
            "numpy_logistic trains full-batch gradient descent on loss 'bce'",
        ),
        (
            {"test_each_epoch": True},
            "test_each_epoch records a test accuracy: it needs a classification loss and a torch "
            "model (not numpy_logistic); set it to false",
        ),
        (
            {"seed_sweep": 3},
            "seed_sweep = 3 trains the seeds together, full batch, where a seed sets only the "
            "initial weights: it needs batch_size 'full' and a torch model (numpy_logistic "
            "starts from zeros: no seed enters it). Set it to 0; sweep a mini-batch variant "
            "with queued experiments (README, 'Several seeds')",
        ),
        (
            {"log_every": 2},
            "log_every = 2 records every N-th mini-batch's loss: it needs a torch model and a "
            "numeric batch_size",
        ),
    ],
)
def test_the_numpy_model_refuses_what_only_torch_training_does(settings, says):
    raw = {
        "dataset": "exam-scores",
        "model": {"kind": "numpy_logistic", "sizes": [2, 1]},
        "loss": "bce",
        "optimizer": {"name": "sgd", "lr": 0.1},
        "epochs": 1,
    }
    with pytest.raises(ValidationError) as info:
        VariantConfig.model_validate({**raw, **settings})
    assert says in str(info.value)
    VariantConfig.model_validate(raw)  # as lesson 004 trains it
