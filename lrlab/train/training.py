"""The training loop: device-resident data, index-slice batching, one host sync per epoch.

Data arrive as tensors already on the training device. Each epoch draws one permutation with
``torch.randperm`` from a dedicated generator and takes consecutive slices of it as batches
(full batch: the whole tensor, no permutation). Loss and correct counts accumulate on the
device and are read back once per epoch, which is also when a non-finite loss stops the run.
The NumPy model of lesson 004 trains through :func:`train_numpy` and returns the same history.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from lrlab.base.errors import TrainingError
from lrlab.core.config import ModelConfig, OptimizerConfig
from lrlab.core.loss_table import task_of
from lrlab.core.outputs import STEP_LOSS
from lrlab.train.losses import predict_labels, shape_targets
from lrlab.train.models import forward_in_batches
from lrlab.train.numpy_logreg import NumpyLogisticRegression
from lrlab.train.steps import Step, make_step
from lrlab.train.steps import make_optimizer as make_optimizer  # where callers import it from

BatchSize = int | Literal["full"]
Batch = torch.Tensor | slice
PROGRESS_MIN_STEPS = 5000  # show a progress bar when epochs x steps reaches this


def derive_seeds(seed: int, offset: int = 0) -> tuple[int, int]:
    """``(init_seed, shuffle_seed)``: ``seed + offset`` for the weights (lesson 002 seeds its
    ``randn`` with 2017 directly) and an independent stream derived from it for shuffling."""
    base = seed + offset
    state = np.random.SeedSequence([base, 1]).generate_state(1, dtype=np.uint64)[0]
    return base, int(state >> np.uint64(1))


def steps_per_epoch(n: int, batch_size: BatchSize) -> int:
    return 1 if batch_size == "full" else math.ceil(n / batch_size)


def epoch_batches(
    n: int,
    batch_size: BatchSize,
    shuffle: bool,
    generator: torch.Generator | None,
    device: torch.device | str = "cpu",
) -> list[Batch]:
    """Index batches covering ``range(n)`` exactly once: slices of a random permutation, plain
    slices when not shuffling, or one slice of everything for ``"full"``."""
    if batch_size == "full":
        return [slice(None)]
    if not shuffle:
        return [slice(i, i + batch_size) for i in range(0, n, batch_size)]
    order = torch.randperm(n, generator=generator, device=device)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def take(t: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Rows ``batch`` of ``t``; ``index_select`` costs half of ``t[index]`` per small batch."""
    return t[batch] if isinstance(batch, slice) else t.index_select(0, batch)


def epoch_totals(
    losses: list[torch.Tensor],
    outputs: list[torch.Tensor],
    labels: torch.Tensor | None,
    batches: list[Batch],
    loss_name: str,
    logged: Sequence[int] = (),
) -> tuple[float, float, list[float]]:
    """The epoch's summed batch losses, its correct predictions and the losses of the batches
    at positions ``logged``, read back in one host sync. ``outputs`` are the batches' model
    outputs in training order (empty for regression)."""
    parts = [(losses[0] if len(losses) == 1 else torch.stack(losses)).double().sum()]
    if labels is not None:
        out = outputs[0] if len(outputs) == 1 else torch.cat(outputs)
        seen = labels if isinstance(batches[0], slice) else take(labels, torch.cat(batches))
        parts.append((predict_labels(out, loss_name) == seen).sum().double())
    parts += [losses[i].double() for i in logged]
    values = torch.stack(parts).tolist()
    correct = values[1] if labels is not None else 0.0
    return values[0], correct, values[2 if labels is not None else 1 :]


def logged_steps(steps: int, every: int) -> list[int]:
    """0-based positions of every ``every``-th batch of an epoch of ``steps`` (none for 0)."""
    return list(range(every - 1, steps, every)) if every else []


def epoch_row(epoch: int, loss: float, accuracy: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"epoch": epoch, "train_loss": loss}
    if accuracy is not None:
        row["train_accuracy"] = accuracy
    return row


def check_finite(row: dict[str, Any], name: str, cfg: OptimizerConfig) -> None:
    """Stop with a clear TrainingError when an epoch's loss is nan or infinite."""
    loss = row["train_loss"]
    if math.isfinite(loss):
        return
    raise TrainingError(
        f"variant '{name}': the training loss became {loss} at epoch {row['epoch']} "
        f"({cfg.name}, learning rate {cfg.lr:g}); the run diverged and was stopped. Lower "
        f"variants.{name}.optimizer.lr (try {cfg.lr / 10:g}) and rerun "
        f"`dvc repro -s train@{name}`. No model file was written."
    )


def check_finite_weights(
    weights: dict[str, torch.Tensor | np.ndarray | float],
    epoch: int,
    name: str,
    cfg: OptimizerConfig,
) -> None:
    """Stop with a clear TrainingError when the last step left a weight nan or infinite (the
    loss of that epoch was computed before the step, so :func:`check_finite` cannot see it)."""
    bad = [k for k, w in weights.items() if not bool(torch.isfinite(torch.as_tensor(w)).all())]
    if not bad:
        return
    raise TrainingError(
        f"variant '{name}': the weights ({', '.join(bad)}) became nan or infinite in the last "
        f"step of epoch {epoch} ({cfg.name}, learning rate {cfg.lr:g}); the run diverged. Lower "
        f"variants.{name}.optimizer.lr (try {cfg.lr / 10:g}) and rerun "
        f"`dvc repro -s train@{name}`. No model file was written."
    )


def train(
    model: nn.Module,
    *,
    loss_name: str,
    optimizer_cfg: OptimizerConfig,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int,
    batch_size: BatchSize,
    shuffle: bool,
    generator: torch.Generator | None,
    progress: bool | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    name: str = "model",
    optimizer: torch.optim.Optimizer | None = None,
    step: Step | None = None,
    test: tuple[torch.Tensor, torch.Tensor] | None = None,
    log_every: int = 0,
) -> list[dict[str, Any]]:
    """Train ``model`` in place; returns one row per epoch: ``epoch``, ``train_loss`` (mean of
    the epoch's batch losses) and, for classification, ``train_accuracy``.

    ``x``, ``y`` and ``model`` must be on the same device; ``generator`` (on that device)
    drives shuffling. ``progress=None`` shows a bar only for long runs. Each batch takes
    ``step`` (:func:`~lrlab.train.steps.make_step`; build it beforehand to keep its set-up
    out of a timing); without one, :func:`make_step` chooses: the closed-form step for a
    one-layer model, else autograd with ``optimizer`` (default: :func:`make_optimizer`); an
    ``optimizer`` given asks for autograd with it. With ``test`` (features and labels on the
    same device), each row also holds ``test_accuracy`` after that epoch, computed in large
    batches. With ``log_every = N``, it holds ``loss_step_<s>``: the loss of batch s = N, 2N,
    … of the epoch (as lesson 001 prints every 100th), read back with the rest, at no extra
    host sync.
    """
    classify = task_of(loss_name) == "classification"
    targets = shape_targets(y, loss_name, x.dtype)
    labels = y.long().reshape(-1) if classify else None
    step = step or make_step(model, loss_name, optimizer_cfg, optimizer)
    n, steps = len(x), steps_per_epoch(len(x), batch_size)
    logged = logged_steps(steps, log_every)
    show = progress if progress is not None else epochs * steps >= PROGRESS_MIN_STEPS
    history: list[dict[str, Any]] = []
    model.train()
    bar = tqdm(range(1, epochs + 1), desc=name, unit="epoch", disable=not show, leave=False)
    for epoch in bar:
        batches = epoch_batches(n, batch_size, shuffle, generator, x.device)
        losses, outputs = [], []  # per-step results stay on the device until the epoch ends
        for idx in batches:
            loss, out = step(take(x, idx), take(targets, idx))
            losses.append(loss)
            if labels is not None:
                outputs.append(out)
        loss_sum, correct, picked = epoch_totals(
            losses, outputs, labels, batches, loss_name, logged
        )
        row = epoch_row(epoch, loss_sum / steps, correct / n if classify else None)
        row.update((f"{STEP_LOSS}{i + 1}", value) for i, value in zip(logged, picked, strict=True))
        if test is not None:
            row["test_accuracy"] = test_accuracy(model, *test, loss_name)
        check_finite(row, name, optimizer_cfg)
        history.append(row)
        bar.set_postfix(loss=f"{row['train_loss']:.4g}", refresh=False)
        if on_epoch is not None:
            on_epoch(row)
    check_finite_weights(dict(model.named_parameters()), epochs, name, optimizer_cfg)
    return history


@torch.no_grad()
def test_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_name: str) -> float:
    """Accuracy of ``model`` on ``(x, y)``, forward in large batches in ``x``'s dtype."""
    outputs = forward_in_batches(model, x, dtype=x.dtype)
    return float((predict_labels(outputs, loss_name) == y.reshape(-1)).sum()) / len(x)


def train_numpy(
    model_cfg: ModelConfig,
    optimizer_cfg: OptimizerConfig,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    name: str = "model",
) -> tuple[NumpyLogisticRegression, list[dict[str, Any]]]:
    """Lesson 004's NumPy model: ``epochs`` full-batch gradient steps of size ``lr``."""
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        model = NumpyLogisticRegression(optimizer_cfg.lr, epochs, model_cfg.form).fit(x, y)
    history = []
    for k, (cost, acc) in enumerate(zip(model.costs, model.accuracies, strict=True), start=1):
        row = epoch_row(k, cost, acc)
        check_finite(row, name, optimizer_cfg)
        history.append(row)
    check_finite_weights({"w": model.w, "b": model.b}, epochs, name, optimizer_cfg)
    return model, history


def numpy_state_dict(model: NumpyLogisticRegression) -> dict[str, torch.Tensor]:
    """The NumPy model's weights under the torch logistic model's names and shapes."""
    return {
        "linear.weight": torch.tensor(model.w, dtype=torch.float32).reshape(1, -1),
        "linear.bias": torch.tensor([model.b], dtype=torch.float32),
    }
