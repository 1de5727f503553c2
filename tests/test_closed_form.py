"""The closed-form step (lrlab.train.closed_form) is the autograd step, to float32 rounding: per
loss of the loss table and per optimizer, over hundreds of steps, full batch and shuffled
mini-batches; each loss's derivative also where torch's guards (clamped logs, floored
denominators) are active; a rerun is bit-identical; the MLP keeps autograd."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from lrlab.core.config import ModelConfig, OptimizerConfig
from lrlab.core.loss_table import LOSSES
from lrlab.core.model_kinds import KINDS
from lrlab.train.closed_form import ClosedFormStep
from lrlab.train.losses import get_gradient, get_loss
from lrlab.train.models import build_model
from lrlab.train.steps import AutogradStep, make_step
from lrlab.train.training import make_optimizer, train

pytestmark = pytest.mark.usefixtures("one_thread")

EPS32 = torch.finfo(torch.float32).eps
N, FEATURES, CLASSES, MINI_BATCH = 48, 4, 3, 8
FULL_EPOCHS, MINI_EPOCHS = 300, 50  # 300 steps either way (48 / 8 = 6 steps per epoch)
OPTIMIZERS = {
    "sgd": OptimizerConfig(name="sgd", lr=0.1),
    "sgd-momentum-decay": OptimizerConfig(name="sgd", lr=0.05, momentum=0.9, weight_decay=0.01),
    "adam": OptimizerConfig(name="adam", lr=0.01),
    "adam-decay": OptimizerConfig(name="adam", lr=0.01, weight_decay=0.05),
}
DEVICES = [
    "cpu",
    pytest.param(
        "cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
    ),
]


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def make_data() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Per task: standardized features and targets. The regression targets have outliers (so
    huber is linear for some samples); the classes overlap (so no weight runs off)."""
    x = torch.randn(N, FEATURES, generator=gen(0), dtype=torch.float64)
    w = torch.tensor([1.5, -2.0, 0.5, 1.0], dtype=torch.float64)
    noise = torch.randn(N, generator=gen(1), dtype=torch.float64)
    y_reg = x @ w + 0.5 * noise
    y_reg[::7] += 6.0
    y_bin = (x @ w + 2 * noise > 0).long()
    y_multi = ((x[:, 0] + noise).floor().clamp(-1, 1) + 1).long()
    return {"regression": (x, y_reg), "binary": (x, y_bin), "multiclass": (x, y_multi)}


DATA = make_data()


def problem(loss: str) -> tuple[ModelConfig, torch.Tensor, torch.Tensor]:
    spec = LOSSES[loss]
    kind = "softmax" if spec.multiclass else "linear" if spec.task == "regression" else "logistic"
    x, y = DATA["multiclass" if spec.multiclass else "regression" if kind == "linear" else "binary"]
    out = CLASSES if spec.multiclass else 1
    return ModelConfig(kind=kind, sizes=[FEATURES, out], output=spec.output), x, y


def scaled(cfg: OptimizerConfig, loss: str, rows: int) -> OptimizerConfig:
    """A summed loss's gradient is ``rows`` times its mean's: divide SGD's rate by ``rows``."""
    if not LOSSES[loss].summed or cfg.name != "sgd":
        return cfg
    return cfg.model_copy(update={"lr": cfg.lr / rows})


def run(loss, cfg, batch_size, dtype, device, closed_form) -> tuple[nn.Module, list[dict]]:
    model_cfg, x, y = problem(loss)
    model = build_model(model_cfg, gen(3)).to(device, dtype)
    x = x.to(device, dtype)
    y = y.to(device) if LOSSES[loss].task == "classification" else y.to(device, dtype)
    cfg = scaled(cfg, loss, N if batch_size == "full" else MINI_BATCH)
    step = make_step(
        model, loss, cfg, None if closed_form else make_optimizer(model.parameters(), cfg)
    )
    assert isinstance(step, ClosedFormStep if closed_form else AutogradStep)
    epochs = FULL_EPOCHS if batch_size == "full" else MINI_EPOCHS
    shuffler = torch.Generator(device=device).manual_seed(4)
    history = train(
        model, loss_name=loss, optimizer_cfg=cfg, x=x, y=y, epochs=epochs, batch_size=batch_size,
        shuffle=True, generator=shuffler, progress=False, step=step,
    )  # fmt: skip
    return model, history


def flat(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().double().cpu().reshape(-1) for p in model.parameters()])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("batch_size", ["full", MINI_BATCH])
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("loss", list(LOSSES))
def test_the_closed_form_step_is_the_autograd_step_to_float32_rounding(
    loss, opt, batch_size, device
):
    """Both float32 runs against the same run in float64 (autograd). Each float32 step rounds
    its forward product, the loss's derivative, the gradient product and the update, each to
    a relative eps32 / 2, and the errors carry over from step to step. The closed form takes
    the same chain of operations, some in another order (the scores as (W xᵀ + b)ᵀ, 1/B
    applied inside the product), so its distance to float64 after the same steps is of the
    same size as autograd's: at most 2 times it, plus 4 ulp of the largest weight for when
    autograd happens to land within an ulp of float64 (on this problem both errors are
    1e-7 to 7e-7, weights about 2). The same holds for the epoch losses. A wrong derivative
    (a missing 1/B, a sign, a dropped decay term) moves the weights by 1e-3 or more."""
    cfg = OPTIMIZERS[opt]
    exact, exact_history = run(loss, cfg, batch_size, torch.float64, device, closed_form=False)
    auto, auto_history = run(loss, cfg, batch_size, torch.float32, device, closed_form=False)
    ours, our_history = run(loss, cfg, batch_size, torch.float32, device, closed_form=True)
    w64, initial = flat(exact), flat(build_model(problem(loss)[0], gen(3)))
    assert (w64 - initial).abs().max() > 0.1  # it trained
    err_auto = (flat(auto) - w64).abs().max().item()
    err_ours = (flat(ours) - w64).abs().max().item()
    assert err_ours <= 2 * err_auto + 4 * EPS32 * w64.abs().max().item(), (err_ours, err_auto)
    losses = [[row["train_loss"] for row in h] for h in (exact_history, auto_history, our_history)]
    loss64, loss_auto, loss_ours = (torch.tensor(values, dtype=torch.float64) for values in losses)
    err_auto = (loss_auto - loss64).abs().max().item()
    err_ours = (loss_ours - loss64).abs().max().item()
    assert err_ours <= 2 * err_auto + 4 * EPS32 * loss64.abs().max().item(), (err_ours, err_auto)


SCORES = torch.tensor([-120.0, -40.0, -28.0, -17.0, -3.0, -0.1, 0.0, 0.4, 5.0, 17.0, 28.0, 120.0])


@pytest.mark.parametrize("loss", [name for name, spec in LOSSES.items() if not spec.multiclass])
def test_each_derivative_is_autograds_also_where_torchs_guards_are_active(loss):
    """Scores from -120 to 120 (sigmoid saturates to 0 and 1 in float32; p (1 - p) falls
    under bce's floor of 1e-12; bce_clamped's clamps hold the logs), against both targets.
    A derivative is rounded once or twice more or less than autograd's: 4 eps32 relative; 0
    wherever autograd's is 0."""
    z = SCORES.repeat(2).reshape(-1, 1)
    y = torch.cat([torch.zeros(len(SCORES)), torch.ones(len(SCORES))]).reshape(-1, 1)
    if LOSSES[loss].task == "regression":
        y = 3 * y - 1
    leaf = z.clone().requires_grad_()
    out = torch.sigmoid(leaf) if LOSSES[loss].output == "sigmoid" else leaf
    get_loss(loss)(out, y).backward()
    outputs, value, dz = get_gradient(loss)(z, y)
    rows = 1 if LOSSES[loss].summed else len(z)
    assert torch.equal(outputs, out.detach())
    assert torch.equal(value, get_loss(loss)(out.detach(), y))
    torch.testing.assert_close(dz / rows, leaf.grad, rtol=4 * EPS32, atol=0)
    assert torch.equal(dz == 0, leaf.grad == 0)


def test_the_cross_entropy_derivative_is_softmax_minus_onehot():
    z = torch.randn(16, 5, generator=gen(1)) * 30
    labels = torch.randint(0, 5, (16,), generator=gen(2))
    leaf = z.clone().requires_grad_()
    torch.nn.functional.cross_entropy(leaf, labels).backward()
    _, value, dz = get_gradient("cross_entropy")(z, labels)
    assert value.item() == pytest.approx(
        torch.nn.functional.cross_entropy(z, labels).item(), rel=1e-6
    )
    torch.testing.assert_close(dz / 16, leaf.grad, rtol=4 * EPS32, atol=EPS32 / 16)


def test_a_rerun_is_bit_identical():
    for loss in ("cross_entropy", "bce_clamped", "mse"):
        (a, ha), (b, hb) = (
            run(loss, OPTIMIZERS["adam"], MINI_BATCH, torch.float32, "cpu", True) for _ in range(2)
        )
        assert torch.equal(flat(a), flat(b)) and ha == hb


def test_the_convex_kinds_take_the_closed_form_and_the_mlp_keeps_autograd():
    cfg = OPTIMIZERS["sgd"]
    for name, kind in KINDS.items():
        if kind.trainer != "torch":
            continue
        sizes = (
            [FEATURES, 8, CLASSES]
            if kind.hidden
            else [FEATURES, CLASSES if kind.outputs == "classes" else 1]
        )
        loss = "cross_entropy" if sizes[-1] > 1 else "bce" if kind.sigmoid else "mse"
        model_cfg = ModelConfig(kind=name, sizes=sizes, output=LOSSES[loss].output)
        model = build_model(model_cfg, gen(0))
        step = make_step(model, loss, cfg)
        assert isinstance(step, ClosedFormStep if kind.convex else AutogradStep), name
    model = build_model(ModelConfig(kind="softmax", sizes=[FEATURES, CLASSES]), gen(0))
    assert isinstance(
        make_step(model, "cross_entropy", cfg, make_optimizer(model.parameters(), cfg)),
        AutogradStep,
    )


def test_a_loss_without_a_gradient_entry_trains_with_autograd(monkeypatch):
    monkeypatch.setitem(LOSSES, "mse", dataclasses.replace(LOSSES["mse"], gradient=None))
    get_gradient.cache_clear()
    try:
        model = build_model(ModelConfig(kind="linear", sizes=[FEATURES, 1]), gen(0))
        assert isinstance(make_step(model, "mse", OPTIMIZERS["sgd"]), AutogradStep)
    finally:
        get_gradient.cache_clear()
