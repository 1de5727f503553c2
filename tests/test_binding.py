"""Binding a variant to its data (lrlab.core.binding): widths come from the data, and every
variant/data mismatch stops with its one message naming the key to change."""

from __future__ import annotations

import numpy as np
import pytest

from lrlab.base.errors import ConfigError, DataError
from lrlab.core.binding import bind
from lrlab.core.config import VariantConfig
from lrlab.core.loss_table import names, spoken
from lrlab.core.prepared import PreparedData


def variant(**kw) -> VariantConfig:
    base = {
        "dataset": "diabetes",
        "model": {"kind": "mlp", "sizes": [8, 6, 1], "output": "sigmoid"},
        "loss": "bce",
        "optimizer": {"name": "sgd", "lr": 0.1},
        "epochs": 1,
    }
    return VariantConfig.model_validate({**base, **kw})


def data(x, y, info=None, test=False) -> PreparedData:
    x, y = np.asarray(x, np.float32), np.asarray(y)
    return PreparedData(x, y, x if test else None, y if test else None, info or {})


Y2 = np.arange(10) % 2


def test_data_must_fit_the_model():
    x = np.zeros((10, 8))
    assert bind("d", variant(), data(x, Y2, {"task": "classification", "num_classes": 2}))
    with pytest.raises(ConfigError) as info:
        bind("d", variant(), data(np.zeros((10, 5)), Y2))
    assert "variants.d.model.sizes" in str(info.value) and "5 features" in str(info.value)
    with pytest.raises(ConfigError, match="regression dataset") as info:
        bind("d", variant(), data(x, Y2.astype(np.float32), {"task": "regression"}))
    # every regression loss of the table, as a list
    assert f"Use loss {spoken(names('regression'))}, or another dataset." in str(info.value)
    assert "Use loss mse" in str(info.value) and "mse_sum" in str(info.value)
    with pytest.raises(ConfigError, match="has 3") as info:
        bind("d", variant(), data(x, np.arange(10) % 3, {"num_classes": 3}))
    assert "Use loss cross_entropy with a softmax or mlp model." in str(info.value)
    softmax = variant(model={"kind": "softmax", "sizes": [8, 4]}, loss="cross_entropy")
    with pytest.raises(ConfigError, match="Set the last of variants.d.model.sizes to 3"):
        bind("d", softmax, data(x, np.arange(10) % 3, {"num_classes": 3}))


def test_widths_come_from_the_data():
    open_widths = variant(model={"kind": "mlp", "sizes": ["in", 4, "out"]}, loss="cross_entropy")
    bound = bind("d", open_widths, data(np.zeros((6, 3)), np.arange(6) % 3, {"num_classes": 3}))
    assert bound.model.sizes == [3, 4, 3]


def test_a_malformed_dataset_names_the_stage_that_rebuilds_it():
    with pytest.raises(DataError, match=r"prepare@diabetes"):
        bind("d", variant(), data(np.zeros(10), Y2))


def test_a_query_point_of_the_wrong_length_names_the_key():
    cfg = variant(model={"kind": "logistic", "sizes": [3, 1]}, query=[[1.0, 2.0], 0.5])
    with pytest.raises(
        ConfigError,
        match=r"variants\.v\.query\[0\] = \[1\.0, 2\.0\] gives 2 "
        r"value\(s\), but data/prepared/diabetes\.npz has 3 features",
    ):
        bind("v", cfg, data(np.zeros((4, 3)), [0, 1, 0, 1], {"num_classes": 2}))


def test_test_each_epoch_needs_a_test_split():
    cfg = variant(model={"kind": "logistic", "sizes": [8, 1]}, test_each_epoch=True)
    with pytest.raises(ConfigError, match=r"variants\.v\.test_each_epoch = true needs"):
        bind("v", cfg, data(np.zeros((10, 8)), Y2))
    assert bind("v", cfg, data(np.zeros((10, 8)), Y2, test=True)).test_each_epoch


def test_the_numpy_model_refuses_momentum():
    cfg = variant(
        model={"kind": "numpy_logistic", "sizes": [2, 1], "output": "sigmoid"},
        optimizer={"name": "sgd", "lr": 0.5, "momentum": 0.9},
    )
    with pytest.raises(ConfigError, match="plain gradient descent"):
        bind("v", cfg, data(np.zeros((4, 2)), [0, 1, 0, 1]))


def test_each_solver_gets_only_data_its_loss_fits():
    """What once stopped the reference solver stops at the binding, for every stage alike."""
    x = np.zeros((12, 2))
    linear = variant(model={"kind": "linear", "sizes": [2, 1]}, loss="mse")
    with pytest.raises(ConfigError, match="classification dataset. Use loss bce"):
        bind("v", linear, data(x, np.arange(12) % 2))
    logistic = variant(model={"kind": "logistic", "sizes": [2, 1]})
    with pytest.raises(ConfigError, match="has 3"):
        bind("v", logistic, data(x, np.arange(12) % 3))
    softmax = variant(model={"kind": "softmax", "sizes": [2, 3]}, loss="cross_entropy")
    with pytest.raises(ConfigError, match="Set the last of variants.v.model.sizes to 4"):
        bind("v", softmax, data(x, np.arange(12) % 4, {"num_classes": 4}))
