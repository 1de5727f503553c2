"""Exact references: least squares, the logistic and softmax optima (checked against
scikit-learn, also for float32 data), the blockwise float32 objectives and whitening, exact
separability detection, and the baselines for non-convex MLPs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_softmax
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from lrlab.core.config import ModelConfig
from lrlab.reference.objectives import logistic_objective, softmax_objective, whiten
from lrlab.reference.solve import compute_reference, is_separable, least_squares

LOGISTIC = ModelConfig(kind="logistic", sizes=[2, 1], output="sigmoid")
SOFTMAX = ModelConfig(kind="softmax", sizes=[4, 3])


def exam_like(seed: int = 0, n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = rng.uniform(30, 100, size=(n, 2))
    p = 1 / (1 + np.exp(-(-25.16 + raw @ np.array([0.206, 0.201]))))
    return raw / raw.max(axis=0), (rng.random(n) < p).astype(np.int64)


def three_classes(seed: int = 0, n: int = 150) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, 4)) + np.eye(3, 4)[y] * 1.5
    x[:, 3] = 2 * x[:, 0] - x[:, 1] + 0.01 * rng.normal(size=n)  # nearly collinear feature
    return x, y


def test_least_squares_matches_polyfit():
    x = np.linspace(0, 5, 15)
    y = 0.4 * x + 1.0 + np.sin(3 * x)
    ref = least_squares(x[:, None], y)
    slope, intercept = np.polyfit(x, y, 1)
    assert ref["weight"][0] == pytest.approx(slope) and ref["bias"] == pytest.approx(intercept)
    assert ref["train_mse"] == pytest.approx(np.mean((slope * x + intercept - y) ** 2))


def test_a_summed_squared_error_has_the_same_optimum_scaled_by_n():
    x = np.linspace(0, 5, 15)[:, None]
    y = 0.4 * x[:, 0] + 1.0 + np.sin(3 * x[:, 0])
    model = ModelConfig(kind="linear", sizes=[1, 1])
    mean, summed = (compute_reference(model, loss, x, y) for loss in ("mse", "mse_sum"))
    assert summed["weight"] == pytest.approx(mean["weight"]) and summed["bias"] == mean["bias"]
    assert summed["train_loss"] == pytest.approx(15 * mean["train_loss"])
    assert summed["train_mse"] == pytest.approx(mean["train_mse"])


def test_regression_reference_reports_test_mse():
    rng = np.random.default_rng(0)
    x, x_test = rng.normal(size=(30, 2)), rng.normal(size=(10, 2))
    w = np.array([1.5, -2.0])
    ref = compute_reference(
        ModelConfig(kind="linear", sizes=[2, 1]), "mse", x, x @ w + 0.3, x_test, x_test @ w + 0.3
    )
    assert ref["train_loss"] == pytest.approx(0.0, abs=1e-20)
    assert ref["test_mse"] == pytest.approx(0.0, abs=1e-20)
    np.testing.assert_allclose(ref["weight"], w)


@pytest.mark.parametrize("loss", ["bce", "bce_clamped", "bce_logits", "bce_sum"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])  # prepared data is float32
def test_logistic_optimum_agrees_with_scikit_learn(loss, dtype):
    x, y = exam_like()
    x = x.astype(dtype).astype(np.float64)  # the values scikit-learn sees
    ref = compute_reference(LOGISTIC, loss, x.astype(dtype), y)
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(x, y)
    np.testing.assert_allclose(ref["weight"], sk.coef_[0], rtol=1e-5)
    assert ref["bias"] == pytest.approx(sk.intercept_[0], rel=1e-5)
    mean_loss = log_loss(y, sk.predict_proba(x)[:, 1])
    assert ref["train_loss"] == pytest.approx(mean_loss * (len(y) if loss == "bce_sum" else 1))
    assert ref["train_accuracy"] == pytest.approx(sk.score(x, y))
    assert ref["separable"] is False and ref["converged"] and ref["kind"] == "optimum"


def test_softmax_optimum_agrees_with_scikit_learn():
    x, y = three_classes()
    x_test, y_test = three_classes(1, 60)
    ref = compute_reference(SOFTMAX, "cross_entropy", x, y, x_test, y_test)
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(x, y)
    assert ref["train_loss"] == pytest.approx(log_loss(y, sk.predict_proba(x)), rel=1e-7)
    assert ref["train_accuracy"] == pytest.approx(sk.score(x, y))
    assert ref["test_accuracy"] == pytest.approx(sk.score(x_test, y_test))
    assert ref["converged"] and ref["grad_norm"] < 1e-5 and ref["iterations"] > 0


@pytest.mark.parametrize(
    "make, k",
    [
        (lambda a, y, **kw: logistic_objective(a, y, **kw), 1),
        (lambda a, y, **kw: softmax_objective(a, y, 3, **kw), 3),
    ],
)
@pytest.mark.parametrize(
    "x_dtype, dtype, eps, atol",
    [
        (np.float64, None, 1e-6, 1e-9),
        (np.float32, np.float64, 1e-6, 1e-9),  # float32 data, float64 matmuls by blocks
        (np.float32, None, 1e-3, 1e-4),  # float32 matmuls: rounding noise in the differences
    ],
)
def test_analytic_gradients_match_finite_differences(make, k, x_dtype, dtype, eps, atol):
    x, y = three_classes(2, 30)
    y = y if k == 3 else (y == 0).astype(np.int64)
    fun = make(x.astype(x_dtype), y, dtype=dtype, block=7)  # several blocks, a ragged last one
    theta = np.random.default_rng(0).normal(size=(x.shape[1] + 1) * k)
    _, grad = fun(theta)
    numeric = [
        (fun(theta + eps * e)[0] - fun(theta - eps * e)[0]) / (2 * eps) for e in np.eye(len(theta))
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=atol)


def direct_softmax(x: np.ndarray, y: np.ndarray, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and gradient in float64, all rows at once (the textbook formulas)."""
    n, d = x.shape
    w, b = theta[: d * 3].reshape(d, 3), theta[d * 3 :]
    log_p = log_softmax(x @ w + b, axis=1)
    r = np.exp(log_p) - np.eye(3)[y]
    return -log_p[np.arange(n), y].mean(), np.concatenate([(x.T @ r).ravel(), r.sum(0)]) / n


def test_float32_softmax_objective_agrees_with_float64():
    rng = np.random.default_rng(5)
    x = rng.random((1000, 20), dtype=np.float32)
    y = rng.integers(0, 3, 1000)
    theta = rng.normal(size=21 * 3)
    loss, grad = direct_softmax(x.astype(np.float64), y, theta)
    for dtype in (None, np.float64):
        fun = softmax_objective(x, y, 3, dtype=dtype, block=64)
        loss_b, grad_b = fun(theta)
        assert grad_b.dtype == np.float64 and loss_b == pytest.approx(loss, rel=1e-6)
        np.testing.assert_allclose(grad_b, grad, atol=1e-6 if dtype is None else 1e-12)


def test_blockwise_whitening_matches_the_direct_computation():
    rng = np.random.default_rng(3)
    x = rng.random((200, 6)) * np.array([1.0, 10.0, 0.1, 1.0, 1.0, 1.0]) + 3.0
    x[:, 4] = x[:, 0] - 2 * x[:, 1]  # collinear: one direction of zero variance
    x[:, 5] = 0.5  # constant
    for x_in in (x, x.astype(np.float32)):
        x64 = x_in.astype(np.float64)
        mean = x64.mean(axis=0)
        evals, evecs = np.linalg.eigh((x64 - mean).T @ (x64 - mean) / len(x))
        t = evecs[:, 2:] / np.sqrt(evals[2:])  # the 4 directions of non-zero variance
        xw, mean_b, t_b = whiten(x_in, block=7)  # several blocks, a ragged last one
        assert xw.shape == (200, 4) and xw.dtype == x_in.dtype and t_b.dtype == np.float64
        np.testing.assert_allclose(mean_b, mean, rtol=1e-12)
        # t is unique up to a rotation of the whitened space: t t^T (the covariance's
        # pseudo-inverse) is not
        np.testing.assert_allclose(
            t_b @ t_b.T, t @ t.T, rtol=1e-7, atol=1e-7 * np.abs(t @ t.T).max()
        )
        direct = (x64 - mean_b) @ t_b
        tol = 1e-12 if x_in.dtype == np.float64 else 1e-5
        np.testing.assert_allclose(xw, direct, atol=tol * np.abs(direct).max())
        np.testing.assert_allclose(xw.T @ xw / len(x), np.eye(4), atol=10 * tol)


def test_float32_softmax_reference_agrees_with_scikit_learn():
    rng = np.random.default_rng(7)
    y = np.arange(6000) % 3
    x = (rng.normal(size=(6000, 8)) + np.eye(3, 8)[y]).astype(np.float32)  # overlapping classes
    ref = compute_reference(ModelConfig(kind="softmax", sizes=[8, 3]), "cross_entropy", x, y)
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(x.astype(np.float64), y)
    sk_loss = log_loss(y, sk.predict_proba(x.astype(np.float64)))
    assert ref["train_loss"] == pytest.approx(sk_loss, abs=1e-6)
    assert ref["train_loss"] <= sk_loss + 1e-9  # an optimum: nothing lower
    assert ref["converged"] and ref["grad_norm"] < 1e-5
    assert ref["train_accuracy"] == pytest.approx(sk.score(x, y))


def test_separability_is_detected_exactly():
    def col(values: list[float]) -> np.ndarray:
        return np.array(values, dtype=np.float64)[:, None]

    assert is_separable(col([1, 2, 3]), np.array([0, 0, 1]))  # lesson 000
    assert is_separable(col([0.6, 1.0, 3.5, 4.0]), np.array([0, 0, 1, 1]))  # lesson 003
    assert not is_separable(col([1, 2, 3, 4]), np.array([0, 1, 0, 1]))
    xor = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], dtype=np.float64)
    assert not is_separable(xor, np.array([0, 0, 1, 1]))
    x, y = exam_like()
    assert not is_separable(x, y)


def test_separable_data_reports_the_infimum():
    x = np.array([[1.0], [2.0], [3.0]])
    ref = compute_reference(
        LOGISTIC.model_copy(update={"sizes": [1, 1]}), "bce_sum", x, np.array([0, 0, 1])
    )
    assert ref["separable"] is True and ref["train_loss"] == 0.0 and ref["train_accuracy"] == 1.0
    assert "weight" not in ref  # no finite optimum


def test_mlp_gets_baselines_not_an_optimum():
    x, y = exam_like(3, 80)
    x_test, y_test = exam_like(4, 40)
    mlp = ModelConfig(kind="mlp", sizes=[2, 4, 1], output="sigmoid")
    ref = compute_reference(mlp, "bce", x, y, x_test, y_test)
    freq = np.bincount(y) / len(y)
    assert ref["kind"] == "baseline" and ref["method"] == "majority-class"
    assert ref["train_loss"] == pytest.approx(-(freq * np.log(freq)).sum())
    assert ref["train_accuracy"] == pytest.approx(freq.max())
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(x, y)
    assert ref["logistic_test_accuracy"] == pytest.approx(sk.score(x_test, y_test))
    images = ModelConfig(kind="mlp", sizes=[4, 8, 3])
    x3, y3 = three_classes()
    ref3 = compute_reference(images, "cross_entropy", x3, y3)
    assert ref3["train_loss"] == pytest.approx(np.log(3)) and "logistic_test_accuracy" not in ref3


def test_whitening_decorrelates_and_drops_constant_directions():
    x, _ = three_classes()
    x = np.column_stack([x, np.full(len(x), 7.0)])
    xw, mean, t = whiten(x)
    assert xw.shape == (len(x), 4)
    np.testing.assert_allclose(xw.T @ xw / len(x), np.eye(4), atol=1e-8)
    np.testing.assert_allclose((x - mean) @ t, xw)


def _three_classes(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 40)
    x = rng.normal(size=(120, 3)) + y[:, None] * 0.5
    return x, y


@pytest.mark.parametrize("extreme", ["min", "max"])
def test_a_feature_constant_at_its_extreme_on_a_class_proves_no_minimiser(extreme):
    """Feature 1 sits at its minimum (maximum) on every class-0 row and differs on some rows
    of the other classes. Moving class 0's weight on it lowers the loss along the whole ray,
    from any start: the direction is a descent direction everywhere, so no minimiser exists."""
    x, y = _three_classes(0)
    x[:, 1] = np.abs(x[:, 1]) * (1 if extreme == "min" else -1)
    x[y == 0, 1] = 0.0
    from lrlab.reference.solve import recession_features

    assert recession_features(x, y, 3) == 1
    fun = softmax_objective(x, y, 3, np.float64)
    direction = np.zeros(4 * 3)
    direction[1 * 3 + 0] = -1.0 if extreme == "min" else 1.0  # W[feature 1, class 0]
    theta = np.random.default_rng(1).normal(size=12)
    losses = [fun(theta + t * direction)[0] for t in (0.0, 1.0, 10.0, 100.0)]
    assert all(a > b for a, b in zip(losses, losses[1:], strict=False))
    reference = compute_reference(
        ModelConfig(kind="softmax", sizes=[3, 3], output="raw"), "cross_entropy", x, y
    )
    assert reference["attained"] is False and reference["recession_features"] == 1


def test_no_such_feature_reports_nothing_and_the_optimum_converges():
    x, y = _three_classes(2)
    from lrlab.reference.solve import recession_features

    assert recession_features(x, y, 3) == 0
    reference = compute_reference(
        ModelConfig(kind="softmax", sizes=[3, 3], output="raw"), "cross_entropy", x, y
    )
    assert reference["converged"] and "attained" not in reference


def test_a_separable_multiclass_table_has_infimum_zero_not_attained():
    """Three classes set apart, with text categoricals one-hot encoded (as a CSV's are): the
    softmax reference separates every row, so the cross-entropy's infimum is 0, reached by no
    finite weights; the report and the gap say so, and a mixed table stays attained."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 40)
    colour = np.eye(3)[(y + rng.integers(0, 2, len(y))) % 3]  # a category, loosely tied to y
    x = np.column_stack([y * 6.0 + rng.normal(0, 1, len(y)), colour])
    softmax = ModelConfig(kind="softmax", sizes=[4, 3])
    ref = compute_reference(softmax, "cross_entropy", x, y)
    assert ref["separable"] is True and ref["attained"] is False and ref["train_loss"] == 0.0
    assert ref["train_accuracy"] == 1.0
    sk = LogisticRegression(C=1e6, max_iter=10_000).fit(x, y)
    assert sk.score(x, y) == 1.0  # an independent check that the table is separable
    mixed = compute_reference(softmax, "cross_entropy", x, np.roll(y, 7))
    assert "separable" not in mixed and mixed["train_loss"] > 0.1
