"""The ``huber`` loss, added as one entry of the loss table: config, torch function, metrics,
its exact reference (L-BFGS on the NumPy head) against independent checks, and a huber variant
through the reference, train and evaluate stages."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fixtures_data import write_prepared
from repo_kit import write_params

from lrlab.base import layout
from lrlab.base.errors import ConfigError
from lrlab.core.binding import bind
from lrlab.core.config import ModelConfig, ParamsFile, VariantConfig, parse_section
from lrlab.core.loss_table import HUBER_DELTA, LOSSES, huber_head
from lrlab.core.prepared import PreparedData
from lrlab.plotting.common import loss_label
from lrlab.reference.solve import compute_reference, least_squares
from lrlab.train.losses import get_loss
from lrlab.train.metrics import regression_metrics
from stages import evaluate as evaluate_stage
from stages import reference as reference_stage
from stages import train as train_stage

LINEAR = ModelConfig(kind="linear", sizes=[3, 1])
VARIANT = {
    "dataset": "synthetic-regression",
    "model": {"kind": "linear", "sizes": [1, 1]},
    "loss": "huber",
    "optimizer": {"name": "sgd", "lr": 0.3},
    "epochs": 300,
    "seed_sweep": 3,
}


def regression_data(
    seed: int = 0, n: int = 200, outliers: int = 0, noise: float = 0.3
) -> tuple[np.ndarray, ...]:
    """``y = x w + b`` plus normal noise of std ``noise``; ``outliers`` of them moved 5 to 15
    away."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = x @ np.array([1.5, -2.0, 0.5]) + 0.7 + noise * rng.normal(size=n)
    y[:outliers] += rng.choice([-1.0, 1.0], outliers) * rng.uniform(5, 15, outliers)
    return x, y


def design(x: np.ndarray) -> np.ndarray:
    return np.column_stack([x, np.ones(len(x))])


def curvature(x: np.ndarray, residuals: np.ndarray) -> float:
    """A lower bound on the mean Huber loss's strong convexity near ``residuals``: the smallest
    eigenvalue of ``(1/n) sum a a^T`` over the rows ``a = [x, 1]`` with ``|r| <= delta / 2``,
    which stay in the quadratic branch while the fit moves by far less than delta / 2."""
    a = design(x)[np.abs(residuals) <= HUBER_DELTA / 2]
    return float(np.linalg.eigvalsh(a.T @ a / len(x))[0])


def torch_huber_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``[w, b]``, mean loss and gradient norm of torch's own full-batch L-BFGS on
    ``F.huber_loss`` of a linear model, by autograd, in float64: nothing shared with the
    reference but the data."""
    xt, yt = torch.tensor(x), torch.tensor(y).reshape(-1, 1)
    theta = torch.zeros(x.shape[1] + 1, 1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [theta],
        max_iter=5000,
        tolerance_grad=1e-13,
        tolerance_change=0.0,
        history_size=50,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.huber_loss(xt @ theta[:-1] + theta[-1], yt, delta=HUBER_DELTA)
        loss.backward()
        return loss

    optimizer.step(closure)
    loss = closure()
    return theta.detach().numpy().ravel(), float(loss.detach()), float(theta.grad.norm())


# --- the table entry and its torch function -------------------------------------------------


def test_huber_is_a_mean_regression_loss_on_a_raw_output():
    spec = LOSSES["huber"]
    assert (spec.task, spec.output, spec.outputs, spec.threshold) == (
        "regression",
        "raw",
        "one",
        None,
    )
    assert not spec.summed and not spec.squared_error and spec.reference == "lbfgs"
    function = get_loss("huber")
    assert isinstance(function, partial) and function.func is F.huber_loss
    assert function.keywords == {"delta": 1.0}
    assert loss_label("huber") == "Huber loss, δ = 1 (mean)"


def test_the_numpy_head_is_torchs_huber_loss_and_its_gradient():
    r = torch.linspace(-4, 4, 81, dtype=torch.float64)  # both branches, and |r| = delta
    z = (r + 0.25).reshape(-1, 1).requires_grad_()
    y = torch.full((81, 1), 0.25, dtype=torch.float64)
    F.huber_loss(z, y, delta=HUBER_DELTA, reduction="sum").backward()
    value, grad = huber_head(z.detach().numpy(), y.numpy().ravel())
    expected = F.huber_loss(z.detach(), y, delta=HUBER_DELTA, reduction="sum")
    assert value == pytest.approx(float(expected), rel=1e-14)
    np.testing.assert_allclose(grad, z.grad.numpy(), rtol=0, atol=1e-15)


def test_regression_metrics_report_the_huber_loss_and_the_mse():
    y = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    outputs = torch.tensor([[1.5], [2.0], [6.0]], dtype=torch.float64)  # residuals 0.5, 0, 3
    metrics = regression_metrics(outputs, y, "huber")
    assert metrics == pytest.approx({"loss": (0.125 + 0 + 2.5) / 3, "mse": (0.25 + 9) / 3})


# --- the config -----------------------------------------------------------------------------


def test_a_huber_variant_is_valid_and_its_name_is_listed_and_suggested(tmp_path):
    write_params(tmp_path, lambda raw: raw["variants"].update(synthetic_huber=VARIANT))
    variant = ParamsFile(tmp_path / "params.yaml").variant("synthetic_huber")
    assert variant.task == "regression" and variant.model.output == "raw"
    with pytest.raises(ConfigError) as info:
        parse_section("variants.v", VariantConfig, {**VARIANT, "loss": "hubber"})
    assert (
        "variants.v.loss = 'hubber': Input should be 'mse', 'mse_sum', 'bce', 'bce_sum', "
        "'bce_clamped', 'bce_logits', 'cross_entropy' or 'huber' (did you mean 'huber'?)."
    ) in str(info.value)


def test_data_of_the_other_task_names_huber_among_the_regression_losses():
    x, y = regression_data()
    classifier = VariantConfig.model_validate(
        {
            "dataset": "d",
            "model": {"kind": "logistic"},
            "loss": "bce",
            "optimizer": {"name": "sgd", "lr": 0.1},
            "epochs": 1,
        }
    )
    data = PreparedData(x.astype(np.float32), y.astype(np.float32), None, None, {})
    with pytest.raises(ConfigError) as info:
        bind("v", classifier, data)
    assert "Use loss mse, mse_sum or huber, or another dataset." in str(info.value)


# --- the reference: the exact optimum of the mean Huber loss ---------------------------------


def test_without_outliers_the_huber_optimum_is_least_squares_at_half_the_mse():
    # every least-squares residual is within delta, so near that fit the Huber loss is half
    # the squared error: the least-squares line is its stationary point, hence its optimum
    x, y = regression_data(seed=1, noise=0.2)
    ls = least_squares(x, y)
    w_ls = np.array([*ls["weight"], ls["bias"]])
    assert np.abs(design(x) @ w_ls - y).max() < HUBER_DELTA
    ref = compute_reference(LINEAR, "huber", x, y)
    assert ref["method"] == "lbfgs" and ref["converged"] and ref["kind"] == "optimum"
    # |theta - theta*| <= |gradient| / mu for a mu-strongly convex loss (least squares' own
    # gradient is 0 up to rounding); its excess loss is at most |gradient|^2 / (2 mu)
    mu = curvature(x, design(x) @ w_ls - y)
    bound = ref["grad_norm"] / mu + 1e-12
    np.testing.assert_allclose([*ref["weight"], ref["bias"]], w_ls, rtol=0, atol=bound)
    assert ref["train_loss"] == pytest.approx(ls["train_mse"] / 2, rel=1e-12)
    assert ref["train_mse"] == pytest.approx(ls["train_mse"], rel=1e-12)


def test_with_outliers_the_huber_optimum_matches_torchs_own_lbfgs():
    x, y = regression_data(seed=2, outliers=20)
    ref = compute_reference(LINEAR, "huber", x, y)
    ours = np.array([*ref["weight"], ref["bias"]])
    theirs, loss, grad_norm = torch_huber_fit(x, y)
    residuals = design(x) @ ours - y
    assert (np.abs(residuals) > HUBER_DELTA).sum() >= 20, "the linear branch is in play"
    # both minimise the same strongly convex loss (modulus mu near the optimum), each to its
    # own gradient norm: they lie within (g_ours + g_theirs) / mu of each other, and their
    # losses within the larger excess, g^2 / (2 mu), plus float64 rounding of a mean of 200
    mu = curvature(x, residuals)
    assert mu > 0.1
    bound = (ref["grad_norm"] + grad_norm) / mu
    assert bound < 1e-6, (ref["grad_norm"], grad_norm, mu)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=bound)
    excess = max(ref["grad_norm"], grad_norm) ** 2 / (2 * mu)
    assert ref["train_loss"] == pytest.approx(loss, rel=1e-13, abs=excess)
    ls = least_squares(x, y)  # the outliers drag least squares far further than the bound
    assert np.abs(np.array([*ls["weight"], ls["bias"]]) - ours).max() > 1000 * bound


def test_a_huber_reference_reports_its_test_mse():
    x, y = regression_data(seed=3, outliers=5)
    x_test, y_test = regression_data(seed=4, n=50)
    ref = compute_reference(LINEAR, "huber", x, y, x_test, y_test)
    w = np.array(ref["weight"])
    assert ref["test_mse"] == pytest.approx(np.mean((x_test @ w + ref["bias"] - y_test) ** 2))


# --- through the stages ---------------------------------------------------------------------


def test_a_huber_variant_runs_through_reference_train_and_evaluate(tmp_path: Path):
    write_params(tmp_path, lambda raw: raw["variants"].update(synthetic_huber=VARIANT))
    write_prepared(tmp_path, "synthetic-regression")
    args = ["synthetic_huber", "--root", str(tmp_path)]
    reference_stage.main(args)
    train_stage.main(args)
    evaluate_stage.main(args)
    metrics = json.loads(layout.metrics_file(tmp_path, "synthetic_huber").read_text())
    assert metrics["reference"]["method"] == "lbfgs" and metrics["reference"]["converged"]
    assert set(metrics["train"]) == {"loss", "mse"}
    # 300 full-batch steps reach the optimum to float32 precision, never below it
    assert -1e-9 <= metrics["optimality_gap"] < 1e-5
    seeds = json.loads(layout.seeds_file(tmp_path, "synthetic_huber").read_text())
    assert seeds["diverged"] == 0
