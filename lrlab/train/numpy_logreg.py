"""Lesson 004's logistic regression from scratch in NumPy: full-batch gradient descent on the
mean cross-entropy, from zero weights, in the lesson's two forms.

``form="loop"`` visits one sample at a time as in the lesson's first pseudo-code;
``form="vectorized"`` is its matrix form. Both compute the same cost and gradients (a test
checks them against each other and against ``torch.autograd``). The cost is evaluated as
``logaddexp(0, z) - y z``, which equals ``-(y log a + (1 - y) log(1 - a))`` with
``a = sigmoid(z)`` but never takes the log of 0, so it stays finite for any ``z``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

Form = Literal["vectorized", "loop"]
Gradients = tuple[float, np.ndarray, float]
CostAndGradients = Callable[[np.ndarray, np.ndarray, np.ndarray, float], Gradients]


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """``1 / (1 + exp(-z))`` without overflow warnings."""
    return np.exp(-np.logaddexp(0.0, -z))


def cost_and_gradients_loop(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> Gradients:
    """Mean cross-entropy and its gradients ``(J, dJ/dw, dJ/db)``, one sample at a time."""
    m = len(y)
    cost, dw, db = 0.0, np.zeros_like(w, dtype=np.float64), 0.0
    for i in range(m):
        z = float(X[i] @ w + b)
        a = float(sigmoid(z))
        cost += float(np.logaddexp(0.0, z)) - y[i] * z
        dz = a - y[i]  # dJ_i/dz
        dw += X[i] * dz
        db += dz
    return float(cost / m), dw / m, float(db / m)


def cost_and_gradients_vectorized(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float
) -> Gradients:
    """Mean cross-entropy and its gradients ``(J, dJ/dw, dJ/db)`` in matrix form."""
    m = len(y)
    z = X @ w + b
    cost = float(np.mean(np.logaddexp(0.0, z) - y * z))
    dz = sigmoid(z) - y
    return cost, X.T @ dz / m, float(dz.sum() / m)


FORMS: dict[str, CostAndGradients] = {
    "loop": cost_and_gradients_loop,
    "vectorized": cost_and_gradients_vectorized,
}


class NumpyLogisticRegression:
    """The lesson's class: ``fit``, ``predict``, ``predict_proba``, ``score`` and ``costs``.

    ``costs[k]`` and ``accuracies[k]`` are the training cost and accuracy at the weights
    before the k-th update, as the lesson records them. Fitting stops early when the cost
    is no longer finite (only possible once the weights themselves overflow).
    """

    def __init__(self, alpha: float = 0.1, iterations: int = 100, form: Form = "vectorized"):
        if form not in FORMS:
            raise ValueError(f"form must be one of {list(FORMS)}, not {form!r}")
        self.alpha = alpha
        self.iterations = iterations
        self.form = form
        self.w = np.zeros(0)
        self.b = 0.0
        self.costs: list[float] = []
        self.accuracies: list[float] = []

    def fit(self, X: np.ndarray, y: np.ndarray) -> NumpyLogisticRegression:
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        step = FORMS[self.form]
        self.w, self.b = np.zeros(X.shape[1]), 0.0
        self.costs, self.accuracies = [], []
        for _ in range(self.iterations):
            cost, dw, db = step(X, y, self.w, self.b)
            self.costs.append(cost)
            self.accuracies.append(self.score(X, y))
            if not np.isfinite(cost):
                break
            self.w = self.w - self.alpha * dw
            self.b = self.b - self.alpha * db
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ self.w + self.b

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1 | x) for each row of ``X``."""
        return sigmoid(self.decision_function(X))

    predict_probability = predict_proba  # the lesson's name

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels 0/1 (P >= 0.5 is class 1)."""
        return (self.decision_function(X) >= 0).astype(np.int64)

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy on ``(X, y)``."""
        return float(np.mean(self.predict(X) == np.asarray(y).reshape(-1)))
