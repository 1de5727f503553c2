"""Evaluation metrics as pure functions of outputs and labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lrlab.train.metrics import (
    classification_metrics,
    confusion_matrix,
    query_values,
    r2_score,
    raw_units,
    regression_metrics,
    threshold_x,
)


def test_confusion_matrix_rows_are_actual_columns_predicted():
    actual = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    expected = [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert confusion_matrix(predicted, actual, 3).tolist() == expected


def test_classification_metrics_use_the_variants_loss():
    z = torch.tensor([[2.0], [-1.0], [0.5]], dtype=torch.float64)
    y = torch.tensor([1, 0, 0])
    logits = classification_metrics(z, y, "bce_logits")
    probs = classification_metrics(torch.sigmoid(z), y, "bce_sum")
    assert logits["accuracy"] == pytest.approx(2 / 3)
    assert probs["loss"] == pytest.approx(3 * logits["loss"])


def test_regression_metrics_and_r2():
    y = torch.tensor([1.0, 2.0, 3.0])
    outputs = torch.tensor([[1.0], [2.0], [4.0]])
    assert regression_metrics(outputs, y, "mse") == pytest.approx({"loss": 1 / 3, "mse": 1 / 3})
    # a summed loss reports the sum of squared errors as its loss, the mean as mse
    assert regression_metrics(outputs, y, "mse_sum") == pytest.approx({"loss": 1.0, "mse": 1 / 3})
    assert r2_score(y, y) == 1.0
    assert r2_score(torch.full((3,), 2.0), y) == pytest.approx(0.0)
    assert r2_score(y, torch.ones(3)) is None


def test_one_dimensional_boundary_and_raw_units():
    assert threshold_x(2.0, -3.0) == 1.5 and threshold_x(0.0, 1.0) is None
    raw = raw_units([20.0, 10.0], -25.0, [100.0, 50.0])
    assert raw == {"weight": [0.2, 0.2], "bias": -25.0}


def test_query_values_are_predictions_or_probabilities():
    assert query_values(torch.tensor([[7.5]]), [[4.0]], "mse") == {"x=4.0": 7.5}
    out = query_values(torch.tensor([[0.0], [100.0]]), [[0.5], [7.0]], "bce_logits")
    assert out == {"x=0.5": 0.5, "x=7.0": 1.0}
    row = query_values(torch.tensor([[0.25]]), [[-0.294118, 0.0, 0.00149028]], "bce")
    assert row == {"x=(-0.294118, 0, 0.00149028)": 0.25}


def test_query_points_of_several_features_are_predicted_before_and_after_training():
    """A diabetes-like 8-feature point: P(y = 1) by the trained and by the initial weights,
    each checked against the model's own forward pass."""
    from lrlab.core.config import VariantConfig
    from lrlab.train.metrics import model_extras
    from lrlab.train.models import build_model

    point = [-0.294118, 0.487437, 0.180328, -0.292929, 0.0, 0.00149028, -0.53117, -0.0333333]
    cfg = VariantConfig.model_validate(
        {
            "dataset": "diabetes",
            "model": {"kind": "mlp", "sizes": [8, 6, 4, 1]},
            "loss": "bce",
            "optimizer": {"name": "sgd", "lr": 0.1},
            "epochs": 1,
            "query": [point],
        }
    )
    initial = build_model(cfg.model, torch.Generator().manual_seed(1))
    trained = build_model(cfg.model, torch.Generator().manual_seed(2))
    extras = model_extras(trained, cfg, {}, {}, initial)
    key = "x=(-0.294118, 0.487437, 0.180328, -0.292929, 0, 0.00149028, -0.53117, -0.0333333)"
    x = torch.tensor([point], dtype=torch.float64)
    assert extras["query"] == {key: pytest.approx(trained.double()(x).item(), rel=1e-12)}
    assert extras["query_initial"] == {key: pytest.approx(initial.double()(x).item(), rel=1e-12)}
    assert extras["query"][key] != extras["query_initial"][key]
