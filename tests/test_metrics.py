"""Evaluation metrics as pure functions of outputs and labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lrlab.metrics import (
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
    assert query_values(torch.tensor([[7.5]]), [4.0], "mse") == {"x=4.0": 7.5}
    out = query_values(torch.tensor([[0.0], [100.0]]), [0.5, 7.0], "bce_logits")
    assert out == {"x=0.5": 0.5, "x=7.0": 1.0}
