"""Lesson 004's NumPy logistic regression: the loop and vectorised forms compute the same cost
and gradients as torch.autograd, stay finite, and fit like the lesson describes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lrlab.train.numpy_logreg import (
    NumpyLogisticRegression,
    cost_and_gradients_loop,
    cost_and_gradients_vectorized,
    sigmoid,
)


def problem(seed: int = 0, n: int = 25, d: int = 4, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.5).astype(np.float64)
    return X, y, rng.normal(size=d) * scale, float(rng.normal()) * scale


def autograd(X, y, w, b):
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    z = torch.tensor(X) @ wt + bt
    cost = F.binary_cross_entropy_with_logits(z, torch.tensor(y))
    cost.backward()
    return cost.item(), wt.grad.numpy(), bt.grad.item()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loop_vectorized_and_autograd_agree(seed):
    X, y, w, b = problem(seed)
    loop = cost_and_gradients_loop(X, y, w, b)
    vec = cost_and_gradients_vectorized(X, y, w, b)
    ref = autograd(X, y, w, b)
    for got in (loop, vec):
        assert got[0] == pytest.approx(ref[0], rel=1e-12)
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-10, atol=1e-14)
        assert got[2] == pytest.approx(ref[2], rel=1e-10, abs=1e-14)


def test_cost_is_finite_for_saturated_sigmoids():
    X, y, w, b = problem(3, scale=500.0)
    for fn in (cost_and_gradients_loop, cost_and_gradients_vectorized):
        cost, dw, db = fn(X, y, w, b)
        assert np.isfinite(cost) and np.isfinite(dw).all() and np.isfinite(db)
    assert sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]


def test_fit_records_costs_from_zero_weights_and_both_forms_agree():
    X, y, _, _ = problem(4, n=40)
    loop = NumpyLogisticRegression(alpha=0.5, iterations=30, form="loop").fit(X, y)
    vec = NumpyLogisticRegression(alpha=0.5, iterations=30, form="vectorized").fit(X, y)
    assert len(vec.costs) == 30 and vec.costs[0] == pytest.approx(math.log(2))
    assert all(later <= earlier for earlier, later in zip(vec.costs, vec.costs[1:], strict=False))
    np.testing.assert_allclose(loop.w, vec.w, rtol=1e-10)
    assert loop.b == pytest.approx(vec.b, rel=1e-10)
    np.testing.assert_allclose(loop.costs, vec.costs, rtol=1e-12)


def test_predict_proba_predict_and_score():
    X = np.array([[0.0], [1.0], [3.0], [4.0]])
    y = np.array([0, 0, 1, 1])
    model = NumpyLogisticRegression(alpha=1.0, iterations=500).fit(X, y)
    probs = model.predict_proba(X)
    assert ((probs > 0) & (probs < 1)).all() and probs[0] < 0.5 < probs[-1]
    assert model.predict(X).tolist() == [0, 0, 1, 1] and model.predict(X).dtype == np.int64
    assert model.score(X, y) == 1.0
    assert len(model.accuracies) == 500 and model.accuracies[-1] == 1.0


def test_unknown_form_is_rejected():
    with pytest.raises(ValueError, match="form"):
        NumpyLogisticRegression(form="matrix")
