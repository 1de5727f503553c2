"""Exact references: the optimum of each variant's own objective on its own training data.

Everything runs in NumPy/SciPy, independent of torch. Which solver a loss gets is its
entry's ``reference`` in :mod:`lrlab.core.loss_table`:

* ``lstsq``, the squared error (``mse``, ``mse_sum``; linear regression): least squares with
  an intercept (``numpy.linalg.lstsq``), reported in the variant's own scaling.
* ``lbfgs``, another convex regression loss: full-batch L-BFGS on the loss's own NumPy head
  (value and analytic gradient), in float64 on whitened features; ``iterations``,
  ``grad_norm`` and ``converged`` say how close it got.
* ``logistic``, binary cross-entropy (``bce``, ``bce_sum``, ``bce_clamped``, ``bce_logits``;
  one objective, reported in the variant's own scaling): full-batch L-BFGS with the analytic
  gradient and no penalty, on whitened features (same optimum, far better conditioning).
  Linearly separable data has no finite optimum; :func:`is_separable` detects it exactly with
  a linear program and the reference loss is then the infimum, 0 (``attained: false``).
* ``softmax``, softmax regression (``cross_entropy``): the same, with the multinomial
  objective, for at most ``SOFTMAX_MAX_ITER`` iterations; ``iterations``, ``grad_norm`` (in
  the original features) and ``converged`` say how close it got. Where the solution found
  separates every training row (:func:`separates`), the data is separable: ``separable``,
  ``attained: false`` and the infimum, 0. Where :func:`recession_features` finds a feature
  that proves no finite weights minimise the loss (Fashion-MNIST: 66 pixels blank in every
  image of some class), ``attained: false`` says so: the value is an upper bound.
* MLPs are not convex, so they get baselines instead: the best constant predictor and, for
  small binary tabular data, the optimal logistic regression's accuracy.

The objectives (:mod:`lrlab.reference.objectives`) work by row blocks and never copy the
features whole to float64: float32 data keeps float32 matmuls (everything else in float64),
L-BFGS finishes in float64 where float32 rounding stalls it, and the reported loss and
gradient norm are float64.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy
from threadpoolctl import threadpool_info, threadpool_limits

from lrlab.core.config import ModelConfig
from lrlab.core.loss_table import LOSSES, LossSpec, task_of
from lrlab.core.model_kinds import KINDS
from lrlab.reference.objectives import (
    Objective,
    logistic_objective,
    regression_objective,
    scores,
    softmax_objective,
    whiten,
)

Array = np.ndarray
Maybe = np.ndarray | None
MAX_BASELINE_FEATURES = 100  # fit a logistic-regression baseline only for small tabular data
CONVERGED_GRAD_NORM = 1e-5
# L-BFGS iterations: a logistic fit converges in far fewer. Softmax regression on 60000 x 784
# Fashion-MNIST costs ~0.03 s per iteration on 2 cores (float32): 150 give loss 0.3146 in
# ~5.6 s in all (200: 0.3133 in ~7.3 s; 400: 0.3113; 3000: 0.3088, still not converged)
LOGISTIC_MAX_ITER = 10_000
REGRESSION_MAX_ITER = 10_000
SOFTMAX_MAX_ITER = 150


def least_squares(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Weights, bias and mean squared error of the least-squares line/plane through (x, y)."""
    design = np.column_stack([x, np.ones(len(x))])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    mse = float(np.mean((design @ coef - y) ** 2))
    return {
        "weight": coef[:-1].tolist(),
        "bias": float(coef[-1]),
        "train_loss": mse,
        "train_mse": mse,
        "method": "lstsq",
    }


def regression_reference(
    loss: LossSpec, x: Array, y: Array, x_test: Maybe, y_test: Maybe, scale: float
) -> dict[str, Any]:
    """The regression optimum in the variant's scaling (``scale`` = n for a sum; ``train_mse``
    stays the mean), by least squares or, for a loss with a head, by L-BFGS."""
    out = least_squares(x, y) if loss.reference == "lstsq" else fit_regression(loss.head, x, y)
    out["train_loss"] *= scale
    if x_test is not None:
        w = np.asarray(out["weight"])
        out["test_mse"] = float(np.mean((x_test @ w + out["bias"] - y_test) ** 2))
    return out


def fit_regression(
    head: Callable, x: Array, y: Array, max_iter: int = REGRESSION_MAX_ITER
) -> dict[str, Any]:
    """Weights, bias, mean loss and mean squared error of the linear model with intercept
    that minimises the mean of the regression loss ``head``."""
    fit = fit_linear(lambda a, dtype: regression_objective(a, y, head, dtype), x, 1, max_iter)
    w, b = fit["weight"].ravel(), float(fit["bias"][0])
    return {
        "weight": w.tolist(),
        "bias": b,
        "train_loss": fit["loss"],
        "train_mse": float(np.mean((x @ w + b - y) ** 2)),
        "method": "lbfgs",
        **fit["status"],
    }


def lbfgs(fun: Objective, theta: Array, max_iter: int) -> dict[str, Any]:
    """Minimise ``fun`` from ``theta`` with L-BFGS-B at tight tolerances. SciPy wheels bundle
    a BLAS besides NumPy's; its idle threads would spin on the cores that ``fun``'s matmuls
    need (twice as slow on 2 cores), so it gets one thread meanwhile."""
    from scipy.optimize import minimize  # ~0.3 s to import: only the classifiers need it

    scipy_dir = os.path.realpath(os.path.dirname(scipy.__file__))
    own = [i["filepath"] for i in threadpool_info() if i["user_api"] == "blas"]
    own = [path for path in own if os.path.realpath(path).startswith(scipy_dir)]
    options = {"maxiter": max_iter, "maxfun": 2 * max_iter, "gtol": 1e-10, "ftol": 1e-15}
    with threadpool_limits(limits=dict.fromkeys(own, 1)):
        res = minimize(fun, theta, jac=True, method="L-BFGS-B", options=options | {"maxcor": 20})
    return {"theta": res.x, "loss": float(res.fun), "iterations": int(res.nit)}


def is_separable(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether some ``(w, b)`` has ``s_i (w x_i + b) >= 1`` for all i (``s = 2y - 1``), i.e.
    the two classes are strictly linearly separable; decided by an LP feasibility problem."""
    from scipy.optimize import linprog

    s = 2.0 * y - 1.0
    a_ub = -s[:, None] * np.column_stack([x, np.ones(len(x))])
    d = x.shape[1] + 1
    res = linprog(
        np.zeros(d), A_ub=a_ub, b_ub=-np.ones(len(x)), bounds=[(None, None)] * d, method="highs"
    )
    return bool(res.status == 0)


def accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    labels = scores.argmax(axis=1) if scores.ndim == 2 else (scores >= 0).astype(np.int64)
    return float(np.mean(labels == y))


def fit_linear(
    make_objective: Callable[[Array, Any], Objective], x: Array, k: int, max_iter: int
) -> dict[str, Any]:
    """Minimise ``make_objective(features, dtype)`` over ``[W (d x k), b (k)]`` on whitened
    features; returns the weights for the original features, the loss there and ``status``
    (``iterations``, ``grad_norm`` there, ``converged``), evaluated with float64 matmuls."""
    xw, mean, t = whiten(x)
    r = xw.shape[1]
    fit = lbfgs(make_objective(xw, None), np.zeros((r + 1) * k), max_iter)
    if xw.dtype != np.float64 and fit["iterations"] < max_iter:
        # float32 rounding noise stalled the line search near the optimum: finish in float64
        more = lbfgs(make_objective(xw, np.float64), fit["theta"], max_iter - fit["iterations"])
        fit.update(theta=more["theta"], iterations=fit["iterations"] + more["iterations"])
    w = t @ fit["theta"][: r * k].reshape(r, k)
    b = fit["theta"][r * k :] - mean @ w
    loss, grad = make_objective(x, np.float64)(np.concatenate([w.ravel(), b]))
    norm = float(np.linalg.norm(grad))
    converged = norm <= CONVERGED_GRAD_NORM
    status = {"iterations": fit["iterations"], "grad_norm": norm, "converged": converged}
    return {"weight": w, "bias": b, "loss": loss, "status": status}


def fit_logistic(x: Array, y: Array, max_iter: int = LOGISTIC_MAX_ITER) -> dict[str, Any]:
    """The unpenalised logistic-regression optimum (or, if separable, the L-BFGS iterate)."""
    fit = fit_linear(lambda a, dtype: logistic_objective(a, y, dtype), x, 1, max_iter)
    fit["weight"], fit["bias"] = fit["weight"].ravel(), float(fit["bias"][0])
    fit["separable"] = is_separable(x, y)
    return fit


def logistic_reference(
    x: Array, y: Array, x_test: Maybe, y_test: Maybe, scale: float
) -> dict[str, Any]:
    """The binary cross-entropy optimum in the variant's scaling (``scale`` = n for a sum)."""
    fit = fit_logistic(x, y)
    out: dict[str, Any] = {"method": "lbfgs", "separable": fit["separable"], **fit["status"]}
    if fit["separable"]:
        # no finite optimum: the loss tends to 0 as |w| grows along a separating direction
        out.update(method="linprog+lbfgs", train_loss=0.0, train_accuracy=1.0, attained=False)
    else:
        out.update(
            train_loss=fit["loss"] * scale,
            weight=fit["weight"].tolist(),
            bias=fit["bias"],
            train_accuracy=accuracy(scores(x, fit["weight"], fit["bias"]), y),
        )
    if x_test is not None:
        out["test_accuracy"] = accuracy(scores(x_test, fit["weight"], fit["bias"]), y_test)
    return out


def separates(scores: Array, y: Array) -> bool:
    """Whether every row's own class scores strictly above every other class: then ``t w``,
    ``t b`` separate too, and the cross-entropy falls to 0 as ``t`` grows, so its infimum is 0
    and no finite weights attain it."""
    own = np.take_along_axis(scores, np.asarray(y)[:, None], axis=1)[:, 0]
    others = np.where(np.arange(scores.shape[1]) == np.asarray(y)[:, None], -np.inf, scores)
    return bool(len(y)) and bool(np.all(own > others.max(axis=1)))


def recession_features(x: Array, y: Array, k: int) -> int:
    """How many features prove that the multinomial cross-entropy has no minimiser: feature j
    is one of its extreme values (its minimum, or its maximum) on every row of some class m,
    and another value on some row. Moving class m's weight on j away from those rows (the
    bias keeping their scores) lowers m's score on every row where j differs, all of another
    class, and changes nothing else: the loss falls along that ray for ever. 0 proves
    nothing."""
    y = np.asarray(y)
    found = np.zeros(x.shape[1], dtype=bool)
    for extreme in (x.min(axis=0), x.max(axis=0)):
        at = x == extreme
        varies = ~at.all(axis=0)
        for m in range(k):
            found |= varies & at[y == m].all(axis=0)
    return int(found.sum())


def softmax_reference(
    x: Array, y: Array, x_test: Maybe, y_test: Maybe, k: int, max_iter: int = SOFTMAX_MAX_ITER
) -> dict[str, Any]:
    """The multinomial cross-entropy optimum of a softmax regression with ``k`` classes."""
    fit = fit_linear(lambda a, dtype: softmax_objective(a, y, k, dtype), x, k, max_iter)
    w, b = fit["weight"], fit["bias"]
    out = {"method": "lbfgs", "train_loss": fit["loss"], **fit["status"]}
    train_scores = scores(x, w, b)
    if separates(train_scores, y):  # scaling w, b up drives the loss to 0, never reached
        out.update(separable=True, attained=False, train_loss=0.0)
    elif unbounded := recession_features(x, y, k):  # the loss only approaches its infimum
        out.update(attained=False, recession_features=unbounded)
    out["train_accuracy"] = accuracy(train_scores, y)
    if x_test is not None:
        out["test_accuracy"] = accuracy(scores(x_test, w, b), y_test)
    return out


def constant_baseline(y: Array, y_test: Maybe, k: int, scale: float) -> dict[str, Any]:
    """Best constant predictor: loss = entropy of the class frequencies; majority accuracy."""
    freq = np.bincount(y, minlength=k) / len(y)
    nz = freq[freq > 0]
    out = {
        "method": "majority-class",
        "train_loss": float(-(nz * np.log(nz)).sum()) * scale,
        "train_accuracy": float(freq.max()),
    }
    if y_test is not None:
        out["test_accuracy"] = float(np.mean(y_test == freq.argmax()))
    return out


def mlp_baseline(
    x: Array, y: Array, x_test: Maybe, y_test: Maybe, k: int, scale: float
) -> dict[str, Any]:
    """Baselines for a non-convex MLP: the constant predictor, and for binary data with at
    most ``MAX_BASELINE_FEATURES`` features the optimal logistic regression."""
    out = constant_baseline(y, y_test, k, scale)
    if k == 2 and x.shape[1] <= MAX_BASELINE_FEATURES:
        fit = fit_logistic(x, y)
        out["logistic_separable"] = fit["separable"]
        out["logistic_train_loss"] = 0.0 if fit["separable"] else fit["loss"] * scale
        w, b = fit["weight"], fit["bias"]
        out["logistic_train_accuracy"] = accuracy(scores(x, w, b), y)
        if x_test is not None:
            out["logistic_test_accuracy"] = accuracy(scores(x_test, w, b), y_test)
    return out


def compute_reference(
    model: ModelConfig,
    loss: str,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
) -> dict[str, Any]:
    """The reference for a bound variant (model, loss) on its data, as a JSON-able dict; the
    class count is the model's output width, which :func:`lrlab.core.binding.bind` checked."""
    start = time.perf_counter()
    x, x_test = _array(x), _array(x_test)  # as given: no float64 copy
    regression = task_of(loss) == "regression"
    spec = LOSSES[loss]
    k = 0 if regression else model.sizes[-1] if spec.multiclass else 2
    scale = float(len(y)) if spec.summed else 1.0
    if regression:
        x, x_test, y, y_test = (_array(a, np.float64) for a in (x, x_test, y, y_test))
        out = regression_reference(spec, x, y, x_test, y_test, scale)
    elif not KINDS[model.kind].convex:
        out = mlp_baseline(x, y, x_test, y_test, k, scale)
    elif spec.reference == "softmax":
        out = softmax_reference(x, y, x_test, y_test, k)
    else:
        out = logistic_reference(x, y, x_test, y_test, scale)
    kind = "optimum" if KINDS[model.kind].convex else "baseline"
    return {
        "kind": kind,
        "loss": loss,
        "n_train": len(y),
        **out,
        "seconds": round(time.perf_counter() - start, 3),
    }


def _array(a: np.ndarray | None, dtype: Any = None) -> np.ndarray | None:
    return None if a is None else np.asarray(a, dtype=dtype)
