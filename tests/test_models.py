"""Models and losses: generator-only initialisation, output forms, the lessons' losses, and
clear errors for checkpoints or data that do not fit the configured model."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from fixtures_data import model_file_parts
from torch import nn

from lrlab.base.errors import ConfigError, DataError
from lrlab.core.config import ModelConfig
from lrlab.core.loss_table import LOSSES as TABLE
from lrlab.core.model_file import CHECKPOINT_KEYS, FORMAT, make_checkpoint, parse_checkpoint
from lrlab.core.model_kinds import KINDS
from lrlab.train.losses import (
    bce_clamped,
    get_loss,
    predict_labels,
    probabilities,
    shape_targets,
)
from lrlab.train.models import (
    MLP,
    LinearModel,
    build_model,
    linear_layers,
    load_weights,
)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def cfg(**kw) -> ModelConfig:
    return ModelConfig.model_validate({"kind": "logistic", "sizes": [3, 1], **kw})


def test_default_init_matches_nn_linear_with_the_same_seed():
    torch.manual_seed(123)
    reference = nn.Linear(5, 4)
    model = build_model(ModelConfig(kind="softmax", sizes=[5, 4]), gen(123))
    assert torch.equal(model.linear.weight, reference.weight)
    assert torch.equal(model.linear.bias, reference.bias)


def test_init_uses_only_the_passed_generator():
    before = torch.random.get_rng_state()
    a = build_model(ModelConfig(kind="mlp", sizes=[4, 8, 3], activation="relu"), gen(7))
    assert torch.equal(torch.random.get_rng_state(), before)
    b = build_model(ModelConfig(kind="mlp", sizes=[4, 8, 3], activation="relu"), gen(7))
    c = build_model(ModelConfig(kind="mlp", sizes=[4, 8, 3], activation="relu"), gen(8))
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key])
    assert not torch.equal(a.layers[0].weight, c.layers[0].weight)


def test_randn_zero_init_is_lesson_002s():
    model = build_model(cfg(sizes=[2, 1], init="randn_zero"), gen(2017))
    assert torch.equal(
        model.linear.weight.reshape(-1), torch.randn(2, 1, generator=gen(2017))[:, 0]
    )
    assert torch.equal(model.linear.bias, torch.zeros(1))


def test_state_dict_names_are_plain():
    assert list(build_model(cfg(), gen(0)).state_dict()) == ["linear.weight", "linear.bias"]
    mlp = build_model(ModelConfig(kind="mlp", sizes=[8, 6, 4, 1]), gen(0))
    assert list(mlp.state_dict()) == [
        f"layers.{i}.{p}" for i in range(3) for p in ("weight", "bias")
    ]


def test_output_forms():
    x = torch.randn(16, 3, generator=gen(1)) * 10
    p = build_model(cfg(output="sigmoid"), gen(0))(x)
    z = build_model(cfg(), gen(0))(x)
    assert torch.allclose(p, torch.sigmoid(z)) and p.shape == (16, 1)
    mlp = ModelConfig(kind="mlp", sizes=[3, 5, 1], activation="tanh", output="sigmoid")
    out = build_model(mlp, gen(0))(x)
    assert ((out > 0) & (out < 1)).all()


def test_softmax_probabilities_sum_to_one():
    model = build_model(ModelConfig(kind="softmax", sizes=[6, 4]), gen(0))
    probs = probabilities(model(torch.randn(32, 6, generator=gen(2)) * 50), "cross_entropy")
    assert probs.shape == (32, 4)
    assert torch.allclose(probs.sum(dim=1), torch.ones(32), atol=1e-6)


def test_clamped_bce_equals_bce_with_logits_and_stays_finite():
    z = torch.linspace(-15, 15, 301, dtype=torch.float64).reshape(-1, 1)
    y = (torch.arange(301) % 2).to(torch.float64).reshape(-1, 1)
    for i in range(len(z)):
        ours = bce_clamped(torch.sigmoid(z[i : i + 1]), y[i : i + 1])
        theirs = F.binary_cross_entropy_with_logits(z[i : i + 1], y[i : i + 1])
        assert abs(ours.item() - theirs.item()) < 1e-6, z[i].item()
    extreme = torch.tensor([[-100.0], [100.0], [-100.0], [100.0]])
    targets = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    value = bce_clamped(torch.sigmoid(extreme), targets)
    assert torch.isfinite(value)
    assert value.item() == pytest.approx(2 * -math.log(1e-12) / 4, rel=1e-5)


def test_bce_sum_is_n_times_bce_and_all_losses_agree_on_the_objective():
    z = torch.randn(10, 1, generator=gen(3), dtype=torch.float64)
    y = (torch.arange(10) % 2).to(torch.float64).reshape(-1, 1)
    p = torch.sigmoid(z)
    mean = get_loss("bce_logits")(z, y)
    assert torch.allclose(get_loss("bce")(p, y), mean)
    assert torch.allclose(get_loss("bce_clamped")(p, y), mean)
    assert torch.allclose(get_loss("bce_sum")(p, y), 10 * mean)


def test_each_loss_is_the_torch_function_its_table_entry_names():
    expected = {
        "mse": F.mse_loss,
        "mse_sum": (F.mse_loss, {"reduction": "sum"}),
        "bce": F.binary_cross_entropy,
        "bce_sum": (F.binary_cross_entropy, {"reduction": "sum"}),
        "bce_clamped": bce_clamped,
        "bce_logits": F.binary_cross_entropy_with_logits,
        "cross_entropy": F.cross_entropy,
    }
    for name, function in expected.items():
        found = get_loss(name)
        if isinstance(function, tuple):
            base, options = function
            assert (found.func, found.args, found.keywords) == (base, (), options), name
        else:
            assert found is function, name
        assert get_loss(name) is found, "resolved once"
    assert set(TABLE) >= set(expected)


def test_targets_and_labels_take_the_loss_specific_shape():
    y = torch.tensor([0, 1, 1])
    for name in TABLE:
        t = shape_targets(y, name)
        if name == "cross_entropy":
            assert t.dtype == torch.int64 and t.shape == (3,)
        else:
            assert t.dtype == torch.float32 and t.shape == (3, 1)
    assert predict_labels(torch.tensor([[0.2], [0.5], [0.9]]), "bce").tolist() == [0, 1, 1]
    assert predict_labels(torch.tensor([[-1.0], [0.0], [2.0]]), "bce_logits").tolist() == [0, 1, 1]
    assert predict_labels(torch.tensor([[1.0, 3.0], [2.0, 0.0]]), "cross_entropy").tolist() == [
        1,
        0,
    ]
    with pytest.raises(ConfigError, match="unknown loss"):
        get_loss("hinge")


def test_loading_weights_of_another_architecture_names_the_fix():
    trained = build_model(ModelConfig(kind="mlp", sizes=[8, 6, 1]), gen(0))
    other = build_model(ModelConfig(kind="mlp", sizes=[8, 4, 1]), gen(0))
    with pytest.raises(ConfigError) as info:
        load_weights(other, trained.state_dict(), "models/diabetes_deep.pt", "diabetes_deep")
    assert "models/diabetes_deep.pt" in str(info.value)
    assert "dvc repro -s train@diabetes_deep" in str(info.value)
    same = build_model(ModelConfig(kind="mlp", sizes=[8, 6, 1]), gen(1))
    load_weights(same, trained.state_dict(), "m.pt", "k")
    assert torch.equal(same.layers[0].weight, trained.layers[0].weight)


def test_a_file_that_is_not_a_checkpoint_is_a_data_error():
    with pytest.raises(DataError, match="not an lrlab model file"):
        parse_checkpoint({"weight": torch.zeros(1)}, "models/x.pt", "x")
    model = build_model(cfg(), gen(0))
    state = model.state_dict()
    initial = build_model(cfg(), gen(1)).state_dict()
    inputs, about = model_file_parts("diabetes", "x")
    ckpt = make_checkpoint(state, initial, {"a": 1}, {"epochs": 1}, inputs, about)
    with pytest.raises(DataError, match="'state_dict' is not a dict of tensors"):
        parse_checkpoint({**ckpt, "state_dict": [1]}, "models/x.pt", "x")
    with pytest.raises(DataError, match="'initial_state_dict' is not a dict of tensors"):
        parse_checkpoint({**ckpt, "initial_state_dict": {"w": 1}}, "models/x.pt", "x")
    assert set(ckpt) == CHECKPOINT_KEYS and ckpt["format"] == FORMAT
    assert parse_checkpoint(ckpt, "models/x.pt", "x") is ckpt
    # older layouts: without initial weights, or without the input recipe and `about`
    old = {"state_dict": state, "initial_state_dict": initial, "config": {}, "meta": {}}
    with pytest.raises(DataError) as info:
        parse_checkpoint(old, "models/x.pt", "x")
    assert str(info.value) == (
        "models/x.pt: written by an older lrlab, not in this lrlab's model format 2 (it lacks "
        "about, format, inputs). Rerun `dvc repro -s train@x` to retrain it."
    )
    with pytest.raises(DataError, match="lacks initial_state_dict"):
        parse_checkpoint({k: v for k, v in ckpt.items() if k != "initial_state_dict"}, "m", "x")
    lacking = {**ckpt, "inputs": {k: v for k, v in inputs.items() if k != "mean"}}
    with pytest.raises(DataError, match=r"\(it lacks inputs.mean\)"):
        parse_checkpoint(lacking, "m.pt", "x")
    newer = {**ckpt, "format": 3, "about": {**ckpt["about"], "lrlab_version": "9.0"}}
    with pytest.raises(DataError, match=r"written by lrlab 9.0, .* \(its format is 3\)"):
        parse_checkpoint(newer, "m.pt", "x")
    for name, tensor in initial.items():
        assert torch.equal(ckpt["initial_state_dict"][name], tensor)
        assert not torch.equal(ckpt["state_dict"][name], tensor)
        assert ckpt["initial_state_dict"][name].device.type == "cpu"
    # copies: training on after the checkpoint was made does not change it
    with torch.no_grad():
        model.linear.weight.add_(1.0)
    assert not torch.equal(ckpt["state_dict"]["linear.weight"], model.linear.weight)


def test_each_model_kind_builds_the_model_its_table_entry_names():
    for kind, spec in KINDS.items():
        sizes = [3, 4, 2] if spec.hidden else [3, 1 if spec.outputs == "one" else 2]
        model = build_model(ModelConfig(kind=kind, sizes=sizes), gen(0))
        assert type(model) is (MLP if spec.hidden else LinearModel), kind
        assert [layer.out_features for layer in linear_layers(model)] == sizes[1:]
