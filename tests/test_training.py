"""The training loop: batching covers each sample once per epoch, the loop reaches the exact
optima of convex problems, a seed fixes the result bit for bit, divergence stops with a clear
error, and the NumPy model returns the same history format."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn

from lrlab.base.errors import TrainingError
from lrlab.core.config import ModelConfig, OptimizerConfig
from lrlab.train.losses import get_loss
from lrlab.train.models import build_model
from lrlab.train.training import (
    derive_seeds,
    epoch_batches,
    make_optimizer,
    numpy_state_dict,
    steps_per_epoch,
    train,
    train_numpy,
)

REPO = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("one_thread")


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def exam_like(seed: int = 0, n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Two exam scores in 30..100 divided by their maxima; admission from the lesson's θ."""
    rng = np.random.default_rng(seed)
    raw = rng.uniform(30, 100, size=(n, 2))
    p = 1 / (1 + np.exp(-(-25.16 + raw @ np.array([0.206, 0.201]))))
    return raw / raw.max(axis=0), (rng.random(n) < p).astype(np.int64)


@pytest.mark.parametrize(
    "n, batch_size, shuffle",
    [(10, 3, True), (10, 3, False), (64, 64, True), (7, "full", True), (5, 8, True)],
)
def test_batches_cover_every_sample_exactly_once(n, batch_size, shuffle):
    batches = epoch_batches(n, batch_size, shuffle, gen(0))
    assert len(batches) == steps_per_epoch(n, batch_size)
    seen = torch.cat([torch.arange(n)[b] for b in batches])
    assert sorted(seen.tolist()) == list(range(n))


def test_shuffling_is_seeded_and_changes_between_epochs():
    g1, g2 = gen(5), gen(5)
    first = torch.cat(epoch_batches(20, 4, True, g1))
    assert torch.equal(first, torch.cat(epoch_batches(20, 4, True, g2)))
    assert not torch.equal(first, torch.cat(epoch_batches(20, 4, True, g1)))


def test_derived_seeds_are_deterministic_and_distinct():
    assert derive_seeds(2017, 0) == derive_seeds(2017, 0)
    init, shuffle = derive_seeds(2017, 3)
    assert init == 2020 and shuffle != init and shuffle != derive_seeds(2017, 0)[1]
    torch.Generator().manual_seed(shuffle)  # a valid seed


def test_optimizers_use_the_configured_settings():
    params = [torch.nn.Parameter(torch.zeros(2))]
    sgd = make_optimizer(params, OptimizerConfig(name="sgd", lr=0.5, momentum=0.9))
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults["momentum"] == 0.9
    assert sgd.defaults["foreach"] is True
    adam = make_optimizer(params, OptimizerConfig(name="adam", lr=0.01, weight_decay=0.1))
    assert isinstance(adam, torch.optim.Adam) and adam.defaults["weight_decay"] == 0.1


def test_linear_regression_reaches_least_squares():
    x = torch.linspace(-1, 1, 20, dtype=torch.float64).reshape(-1, 1)
    y = 3 * x[:, 0] + 0.5 + 0.3 * torch.sin(7 * x[:, 0])
    model = build_model(ModelConfig(kind="linear", sizes=[1, 1]), gen(0)).double()
    history = train(
        model,
        loss_name="mse",
        optimizer_cfg=OptimizerConfig(name="sgd", lr=0.5),
        x=x,
        y=y,
        epochs=500,
        batch_size="full",
        shuffle=False,
        generator=None,
    )
    slope, intercept = np.polyfit(x[:, 0].numpy(), y.numpy(), 1)
    assert model.linear.weight.item() == pytest.approx(slope, rel=1e-9)
    assert model.linear.bias.item() == pytest.approx(intercept, rel=1e-9)
    assert set(history[-1]) == {"epoch", "train_loss"} and history[-1]["epoch"] == 500


def test_logistic_regression_converges_to_scikit_learns_optimum():
    xs, y = exam_like()
    model = build_model(ModelConfig(kind="logistic", sizes=[2, 1]), gen(0)).double()
    opt = OptimizerConfig(name="sgd", lr=5.0, momentum=0.9)
    history = train(
        model,
        loss_name="bce_logits",
        optimizer_cfg=opt,
        x=torch.tensor(xs),
        y=torch.tensor(y),
        epochs=4000,
        batch_size="full",
        shuffle=False,
        generator=None,
    )
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(xs, y)
    np.testing.assert_allclose(model.linear.weight.detach().numpy(), sk.coef_, rtol=1e-4)
    assert model.linear.bias.item() == pytest.approx(sk.intercept_[0], rel=1e-4)
    z = xs @ sk.coef_[0] + sk.intercept_[0]
    sk_loss = np.mean(np.logaddexp(0, z) - y * z)
    assert history[-1]["train_loss"] == pytest.approx(sk_loss, abs=1e-8)
    assert history[-1]["train_accuracy"] == pytest.approx(sk.score(xs, y))


def run_mlp(seed: int) -> dict[str, torch.Tensor]:
    cfg = ModelConfig(kind="mlp", sizes=[4, 8, 3], activation="relu")
    x = torch.randn(50, 4, generator=gen(99))
    y = torch.arange(50) % 3
    model = build_model(cfg, gen(seed))
    train(
        model,
        loss_name="cross_entropy",
        optimizer_cfg=OptimizerConfig(name="adam", lr=0.01),
        x=x,
        y=y,
        epochs=3,
        batch_size=8,
        shuffle=True,
        generator=gen(seed + 1),
    )
    return model.state_dict()


def test_train_takes_its_settings_by_keyword_only():
    """Nine settings in a row are easy to swap (epochs and batch size are both ints)."""
    model = build_model(ModelConfig(kind="linear", sizes=[1, 1]), gen(0))
    x, y = torch.zeros(4, 1), torch.zeros(4)
    with pytest.raises(TypeError, match="positional"):
        train(model, "mse", OptimizerConfig(name="sgd", lr=0.1), x, y, 1, "full", False, None)


def test_same_seed_gives_bit_identical_weights_and_another_seed_does_not():
    a, b, c = run_mlp(1), run_mlp(1), run_mlp(2)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_epoch_loss_is_the_mean_of_the_batch_losses():
    x = torch.randn(10, 3, generator=gen(0))
    y = (torch.arange(10) % 2).long()
    model = build_model(ModelConfig(kind="logistic", sizes=[3, 1], output="sigmoid"), gen(0))
    frozen = OptimizerConfig(name="sgd", lr=1e-30)  # the weights stay put
    expected = np.mean(
        [
            get_loss("bce")(model(x[b]), y[b].float().reshape(-1, 1)).item()
            for b in epoch_batches(10, 4, True, gen(3))
        ]
    )
    rows = []
    history = train(
        model,
        loss_name="bce",
        optimizer_cfg=frozen,
        x=x,
        y=y,
        epochs=1,
        batch_size=4,
        shuffle=True,
        generator=gen(3),
        on_epoch=rows.append,
    )
    assert history[0]["train_loss"] == pytest.approx(expected, rel=1e-6)
    assert rows == history and 0 <= history[0]["train_accuracy"] <= 1


@pytest.mark.parametrize(("batch_size", "shuffle"), [(7, True), (7, False), ("full", True)])
def test_epoch_accuracy_counts_each_shuffled_sample_against_its_own_label(batch_size, shuffle):
    x = torch.randn(40, 2, generator=gen(4))
    y = torch.randint(0, 3, (40,), generator=gen(5))
    model = build_model(ModelConfig(kind="softmax", sizes=[2, 3]), gen(6))
    expected = (model(x).argmax(1) == y).double().mean().item()  # about 1/3: a random model
    frozen = OptimizerConfig(name="sgd", lr=1e-30)
    history = train(
        model,
        loss_name="cross_entropy",
        optimizer_cfg=frozen,
        x=x,
        y=y,
        epochs=2,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=gen(7),
    )
    assert [row["train_accuracy"] for row in history] == pytest.approx([expected] * 2, abs=1e-12)
    assert expected not in (0.0, 1.0)


def test_non_finite_loss_stops_with_variant_epoch_and_learning_rate():
    x = torch.linspace(0, 10, 30).reshape(-1, 1)
    y = 5 * x[:, 0]
    model = build_model(ModelConfig(kind="linear", sizes=[1, 1]), gen(0))
    epochs_seen = []
    with pytest.raises(TrainingError) as info:
        train(
            model,
            loss_name="mse",
            optimizer_cfg=OptimizerConfig(name="sgd", lr=10.0),
            x=x,
            y=y,
            epochs=100,
            batch_size="full",
            shuffle=False,
            generator=None,
            on_epoch=epochs_seen.append,
            name="linear_toy",
        )
    message = str(info.value)
    epoch = len(epochs_seen) + 1
    assert epoch < 100
    assert "linear_toy" in message and f"epoch {epoch}" in message and "learning rate 10" in message
    assert "variants.linear_toy.optimizer.lr" in message


def test_numpy_training_returns_the_same_history_format():
    xs, y = exam_like(1, n=30)
    cfg = ModelConfig(kind="numpy_logistic", sizes=[2, 1], output="sigmoid", form="loop")
    model, history = train_numpy(cfg, OptimizerConfig(name="sgd", lr=0.5), xs, y, 20)
    assert [row["epoch"] for row in history] == list(range(1, 21))
    assert [row["train_loss"] for row in history] == model.costs
    assert set(history[0]) == {"epoch", "train_loss", "train_accuracy"}
    state = numpy_state_dict(model)
    torch_model = build_model(ModelConfig(kind="logistic", sizes=[2, 1], output="sigmoid"), gen(0))
    torch_model.load_state_dict(state)
    probs = torch_model(torch.tensor(xs, dtype=torch.float32)).detach().numpy()[:, 0]
    np.testing.assert_allclose(probs, model.predict_proba(xs), rtol=1e-5)


def test_the_test_accuracy_after_each_epoch_is_that_epochs_model_on_the_test_split():
    """Each row's test_accuracy equals the accuracy of a separate run stopped after that many
    epochs (same seeds), counted with NumPy; recording it does not change the training."""
    x, y = (torch.from_numpy(a) for a in exam_like(1, 120))
    x, y = x.float(), y
    x_train, y_train, x_test, y_test = x[:90], y[:90], x[90:], y[90:]
    cfg = ModelConfig(kind="softmax", sizes=[2, 2])
    opt = OptimizerConfig(name="sgd", lr=2.0)

    def run(epochs: int, test=None) -> tuple[nn.Module, list[dict]]:
        model = build_model(cfg, gen(3))
        kwargs = dict(loss_name="cross_entropy", optimizer_cfg=opt, x=x_train, y=y_train)
        history = train(
            model, **kwargs, epochs=epochs, batch_size=16, shuffle=True, generator=gen(4),
            progress=False, test=test,
        )  # fmt: skip
        return model, history

    _, with_test = run(6, (x_test, y_test))
    _, without = run(6)
    assert [r["train_loss"] for r in with_test] == [r["train_loss"] for r in without]
    accuracies = [r["test_accuracy"] for r in with_test]
    for epochs in (1, 3, 6):
        model, _ = run(epochs)
        scores = model(x_test).detach().numpy()
        expected = float(np.mean(scores.argmax(axis=1) == y_test.numpy()))
        assert accuracies[epochs - 1] == expected
    assert len(set(accuracies)) > 1, "the test accuracy never moved: not a per-epoch value"


def test_log_every_records_the_loss_of_every_nth_batch_as_a_plain_loop_prints_it():
    """Lesson 001 prints ``loss.item()`` at batches 100, 200, … of each epoch; ``log_every``
    records the same numbers beside the epoch's row. Checked against a plain loop over the
    same permutations (50 samples, batches of 8: 7 steps, so steps 3 and 6)."""
    torch.manual_seed(0)
    x, y = torch.randn(50, 4), torch.randint(0, 3, (50,))
    cfg = ModelConfig(kind="softmax", sizes=[4, 3], output="raw")
    opt_cfg = OptimizerConfig(name="sgd", lr=0.5)
    model = build_model(cfg, gen(1))
    twin = copy.deepcopy(model)
    run = {"loss_name": "cross_entropy", "optimizer_cfg": opt_cfg, "x": x, "y": y, "epochs": 2}
    history = train(model, **run, batch_size=8, shuffle=True, generator=gen(5), log_every=3)
    shuffler, optimizer, printed = gen(5), torch.optim.SGD(twin.parameters(), lr=0.5), []
    for _ in range(2):
        order, row = torch.randperm(50, generator=shuffler), {}
        for step, start in enumerate(range(0, 50, 8), start=1):
            idx = order[start : start + 8]
            loss = torch.nn.functional.cross_entropy(twin(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 3 == 0:
                row[f"loss_step_{step}"] = loss.item()
        printed.append(row)
    for mine, plain in zip(history, printed, strict=True):
        assert {k: v for k, v in mine.items() if k.startswith("loss_step_")} == pytest.approx(plain)
        assert set(plain) == {"loss_step_3", "loss_step_6"}
    no_log = train(build_model(cfg, gen(1)), **run, batch_size=8, shuffle=True, generator=gen(5))
    assert [r["train_loss"] for r in no_log] == [r["train_loss"] for r in history]
    assert not any(k.startswith("loss_step_") for k in no_log[0])


def test_log_every_needs_mini_batches():
    from lrlab.core.config import VariantConfig

    base = {
        "dataset": "mnist",
        "model": {"kind": "softmax"},
        "loss": "cross_entropy",
        "optimizer": {"name": "sgd", "lr": 0.1},
        "epochs": 1,
    }
    assert VariantConfig.model_validate({**base, "batch_size": 64, "log_every": 100}).log_every
    with pytest.raises(ValueError, match="log_every = 100 records every N-th mini-batch"):
        VariantConfig.model_validate({**base, "log_every": 100})  # full batch
