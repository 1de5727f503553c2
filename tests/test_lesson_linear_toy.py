"""Lesson 003's linear regression (case 1) trained a summed squared error: its 50 printed
losses are a full-batch gradient-descent run of ``MSELoss(reduction="sum")`` at lr 0.01 on
x = 1, 2, 3 and y = 2, 4, 6, from one initial (w, b), and no mean-reduced run fits them.
The independent reference is the closed-form gradient step in NumPy; lrlab's loop with
``loss: mse_sum`` must follow it from the same start."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import least_squares

from lrlab.core.config import OptimizerConfig
from lrlab.train.models import LinearModel
from lrlab.train.training import train

PRINTED = [
    128.36353, 57.22348, 25.55281, 11.452799, 5.1747613, 2.3788614, 1.1331253, 0.57749355,
    0.32909214, 0.2174757, 0.16676745, 0.14318845, 0.13170049, 0.12560984, 0.12193605,
    0.11935152, 0.117265806, 0.11541578, 0.11368369, 0.11201717, 0.11039279, 0.108799875,
    0.10723348, 0.105691046, 0.10417137, 0.10267406, 0.10119824, 0.09974393, 0.09831043,
    0.0968976, 0.09550497, 0.09413239, 0.09277948, 0.09144618, 0.0901321, 0.08883653,
    0.08755979, 0.08630159, 0.085061245, 0.08383879, 0.082633875, 0.08144614, 0.08027585,
    0.07912208, 0.07798502, 0.07686419, 0.07575947, 0.07467067, 0.073597685, 0.07253992,
]  # fmt: skip
PREDICT_4 = 7.690391
X, Y, LR = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]), 0.01


def gd(w: float, b: float, summed: bool, steps: int = 50) -> tuple[np.ndarray, float, float]:
    """Losses before each step of gradient descent on the (summed or mean) squared error."""
    scale = 1.0 if summed else 1.0 / len(X)
    losses = []
    for _ in range(steps):
        r = w * X + b - Y
        losses.append(scale * np.sum(r**2))
        w, b = w - LR * scale * 2 * np.sum(r * X), b - LR * scale * 2 * np.sum(r)
    return np.array(losses), w, b


def best_start(summed: bool) -> tuple[np.ndarray, float]:
    """The initial (w, b) whose run fits the printed losses best, and its worst relative
    error over the 50."""
    fit = least_squares(lambda p: np.log(gd(*p, summed)[0]) - np.log(PRINTED), x0=[0.0, 0.0])
    return fit.x, float(np.max(np.abs(gd(*fit.x, summed)[0] / PRINTED - 1)))


def test_the_printed_losses_are_a_summed_squared_error_run():
    (w0, b0), worst = best_start(summed=True)
    assert worst < 1e-3  # the lesson printed float32 losses: all 50 fit
    assert (w0, b0) == pytest.approx((-0.798, -0.532), abs=0.01)
    _, w, b = gd(w0, b0, summed=True)
    assert w * 4 + b == pytest.approx(PREDICT_4, abs=1e-3)


def test_no_mean_squared_error_run_fits_them():
    _, worst = best_start(summed=False)
    assert worst > 0.5


def test_lrlabs_loop_with_mse_sum_follows_the_lesson_from_its_start():
    (w0, b0), _ = best_start(summed=True)
    model = LinearModel(1, 1)
    with torch.no_grad():
        model.linear.weight.fill_(w0)
        model.linear.bias.fill_(b0)
    history = train(
        model,
        loss_name="mse_sum",
        optimizer_cfg=OptimizerConfig(name="sgd", lr=LR),
        x=torch.tensor(X, dtype=torch.float32).reshape(-1, 1),
        y=torch.tensor(Y, dtype=torch.float32),
        epochs=50,
        batch_size="full",
        shuffle=False,
        generator=None,
        progress=False,
    )
    ours = np.array([row["train_loss"] for row in history])
    np.testing.assert_allclose(ours, gd(w0, b0, summed=True)[0], rtol=2e-5)  # float32 vs 64
    np.testing.assert_allclose(ours, PRINTED, rtol=1e-3)
    assert float(model(torch.tensor([[4.0]])).detach()) == pytest.approx(PREDICT_4, abs=1e-3)
