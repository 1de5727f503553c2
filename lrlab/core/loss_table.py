"""What each loss name means: one entry per loss, the one place its facts live.

An entry gives the loss's task, the model output it takes, how it predicts, its figure label
and scaling, the exact solver of its objective for the reference (NumPy/SciPy, in
:mod:`lrlab.reference.solve`) and its torch function. Config validation, training, metrics, the
reference, the figures and every message that lists losses ask this table instead of comparing
loss names; a new loss is a new entry. No torch here: the torch function is named as
``module:attribute`` and resolved by :mod:`lrlab.train.losses`, so the reference and the stages that
only read metrics import this table without torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Task = Literal["regression", "classification"]
# a loss's NumPy objective for L-BFGS: scores z [b, 1] and targets [b] -> the summed loss and
# d loss / d z [b, 1] (lrlab.reference.objectives evaluates it block by block)
Head = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]
HUBER_DELTA = 1.0  # huber: quadratic within 1 target unit of the target, linear beyond


@dataclass(frozen=True)
class LossSpec:
    """One loss.

    ``output``: the model output it takes (``raw`` scores or ``sigmoid`` probabilities), which
    ``takes`` says in words; ``outputs``: ``one`` (a single column) or ``classes`` (k >= 2);
    ``threshold``: where a binary output splits class 0 from class 1 (None for regression).
    ``torch``: its function ``(outputs, targets) -> scalar`` as ``module:attribute``, called
    with ``options`` as keyword arguments. ``reference``: the exact solver of its objective:
    ``lstsq`` (the squared error: least squares), ``logistic`` (binary cross-entropy, L-BFGS),
    ``softmax`` (multinomial cross-entropy, L-BFGS) or ``lbfgs`` (a convex regression loss:
    L-BFGS on its own NumPy ``head``). ``summed``: summed over the samples instead of their
    mean (lesson code with ``reduction="sum"``); the reference reports its optimum scaled so.
    ``gradient``: its closed-form training step for a one-layer model (no autograd), as
    ``module:attribute``: ``(z, targets, **options) -> (outputs, loss, dz)`` with ``dz`` the
    derivative of the *summed* per-sample losses in the scores ``z`` (the step divides by the
    batch size unless ``summed``); None: the loss trains with autograd
    (:mod:`lrlab.train.closed_form`).
    """

    task: Task
    output: Literal["raw", "sigmoid"]
    takes: str
    outputs: Literal["one", "classes"]
    label: str  # axis label of the loss in figures
    torch: str
    reference: Literal["lstsq", "logistic", "softmax", "lbfgs"]
    threshold: float | None = None
    summed: bool = False
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    head: Head | None = None
    gradient: str | None = None

    def __post_init__(self) -> None:
        if (self.reference == "lbfgs") != (self.head is not None):
            raise ValueError("a loss has a head exactly when its reference is 'lbfgs'")
        if (self.reference in ("lstsq", "lbfgs")) != (self.task == "regression"):
            raise ValueError(f"reference '{self.reference}' does not solve a {self.task} loss")

    @property
    def binary(self) -> bool:
        return self.task == "classification" and self.outputs == "one"

    @property
    def multiclass(self) -> bool:
        return self.outputs == "classes"

    @property
    def squared_error(self) -> bool:
        """Whether the loss is the squared error (its mean, or sum): the metrics take its
        value from the mean squared error."""
        return self.reference == "lstsq"


def huber_head(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The summed Huber loss of scores ``z`` against ``y`` and its derivative in ``z``:
    ``r² / 2`` for a residual ``|r| <= delta``, ``delta (|r| - delta / 2)`` beyond, as torch's
    ``huber_loss``."""
    r = z[:, 0] - y
    size = np.abs(r)
    loss = np.where(size <= HUBER_DELTA, 0.5 * r * r, HUBER_DELTA * (size - 0.5 * HUBER_DELTA))
    return float(loss.sum()), np.clip(r, -HUBER_DELTA, HUBER_DELTA)[:, None]


FUNCTIONAL = "torch.nn.functional"
GRADIENTS = "lrlab.train.loss_gradients"

LOSSES: dict[str, LossSpec] = {
    "mse": LossSpec(
        task="regression",
        output="raw",
        takes="a regression output",
        outputs="one",
        label="MSE (target units²)",
        torch=f"{FUNCTIONAL}:mse_loss",
        gradient=f"{GRADIENTS}:mse",
        reference="lstsq",
    ),
    "mse_sum": LossSpec(  # lesson 003's linear regression
        task="regression",
        output="raw",
        takes="a regression output",
        outputs="one",
        label="squared error, summed (target units²)",
        torch=f"{FUNCTIONAL}:mse_loss",
        gradient=f"{GRADIENTS}:mse",
        options={"reduction": "sum"},
        reference="lstsq",
        summed=True,
    ),
    "bce": LossSpec(
        task="classification",
        output="sigmoid",
        takes="probabilities",
        outputs="one",
        threshold=0.5,
        label="binary cross-entropy (nats, mean)",
        torch=f"{FUNCTIONAL}:binary_cross_entropy",
        gradient=f"{GRADIENTS}:bce",
        reference="logistic",
    ),
    "bce_sum": LossSpec(
        task="classification",
        output="sigmoid",
        takes="probabilities",
        outputs="one",
        threshold=0.5,
        label="binary cross-entropy (nats, summed)",
        torch=f"{FUNCTIONAL}:binary_cross_entropy",
        gradient=f"{GRADIENTS}:bce",
        options={"reduction": "sum"},
        reference="logistic",
        summed=True,
    ),
    "bce_clamped": LossSpec(  # lesson 002's own formula, logs guarded
        task="classification",
        output="sigmoid",
        takes="probabilities",
        outputs="one",
        threshold=0.5,
        label="binary cross-entropy, clamped (nats, mean)",
        torch="lrlab.train.losses:bce_clamped",
        gradient=f"{GRADIENTS}:bce_clamped",
        reference="logistic",
    ),
    "bce_logits": LossSpec(
        task="classification",
        output="raw",
        takes="logits",
        outputs="one",
        threshold=0.0,
        label="BCE with logits (nats, mean)",
        torch=f"{FUNCTIONAL}:binary_cross_entropy_with_logits",
        gradient=f"{GRADIENTS}:bce_logits",
        reference="logistic",
    ),
    "cross_entropy": LossSpec(
        task="classification",
        output="raw",
        takes="logits",
        outputs="classes",
        label="cross-entropy (nats, mean)",
        torch=f"{FUNCTIONAL}:cross_entropy",
        gradient=f"{GRADIENTS}:cross_entropy",
        reference="softmax",
    ),
    "huber": LossSpec(  # robust regression: outliers pull the fit linearly, not quadratically
        task="regression",
        output="raw",
        takes="a regression output",
        outputs="one",
        label=f"Huber loss, δ = {HUBER_DELTA:g} (mean)",
        torch=f"{FUNCTIONAL}:huber_loss",
        gradient=f"{GRADIENTS}:huber",
        options={"delta": HUBER_DELTA},
        reference="lbfgs",
        head=huber_head,
    ),
}
LossName = Literal[tuple(LOSSES)]  # the config's allowed values, in table order


def spec(loss: str) -> LossSpec:
    """The table entry of ``loss`` (names are validated by the config before this is asked)."""
    return LOSSES[loss]


def task_of(loss: str) -> Task:
    return LOSSES[loss].task


def names(task: Task | None = None, multiclass: bool | None = None) -> list[str]:
    """The losses of ``task`` (all, if None), multiclass or not (both, if None), in order."""
    return [
        name
        for name, loss in LOSSES.items()
        if task in (None, loss.task) and multiclass in (None, loss.multiclass)
    ]


def spoken(words: Iterable[str], last: str = "or") -> str:
    """``a, b or c`` (``last`` joins the final two)."""
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"
