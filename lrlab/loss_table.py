"""What each loss name means: its task, the model output it takes and how it predicts.

The one home of these facts; config validation, training, metrics, the reference solver,
the figures and the report ask this table instead of comparing loss names. No torch here,
so the stages that only read metrics can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Task = Literal["regression", "classification"]


@dataclass(frozen=True)
class LossSpec:
    """One loss: ``output`` is the model output it takes (``raw`` scores or ``sigmoid``
    probabilities); ``outputs`` is ``one`` (a single column) or ``classes`` (k >= 2);
    ``threshold`` is where a binary output splits class 0 from class 1."""

    task: Task
    output: Literal["raw", "sigmoid"]
    takes: str
    outputs: Literal["one", "classes"]
    threshold: float | None = None
    label: str = ""  # axis label of the loss in figures
    summed: bool = False  # summed over the samples (lesson code with reduction="sum")

    @property
    def binary(self) -> bool:
        return self.task == "classification" and self.outputs == "one"

    @property
    def multiclass(self) -> bool:
        return self.outputs == "classes"


LOSSES: dict[str, LossSpec] = {
    "mse": LossSpec("regression", "raw", "a regression output", "one", None, "MSE (target units²)"),
    "mse_sum": LossSpec(
        "regression",
        "raw",
        "a regression output",
        "one",
        None,
        "squared error, summed (target units²)",
        summed=True,
    ),
    "bce": LossSpec(
        "classification",
        "sigmoid",
        "probabilities",
        "one",
        0.5,
        "binary cross-entropy (nats, mean)",
    ),
    "bce_sum": LossSpec(
        "classification",
        "sigmoid",
        "probabilities",
        "one",
        0.5,
        "binary cross-entropy (nats, summed)",
        summed=True,
    ),
    "bce_clamped": LossSpec(
        "classification",
        "sigmoid",
        "probabilities",
        "one",
        0.5,
        "binary cross-entropy, clamped (nats, mean)",
    ),
    "bce_logits": LossSpec(
        "classification", "raw", "logits", "one", 0.0, "BCE with logits (nats, mean)"
    ),
    "cross_entropy": LossSpec(
        "classification", "raw", "logits", "classes", None, "cross-entropy (nats, mean)"
    ),
}
LossName = Literal["mse", "mse_sum", "bce", "bce_sum", "bce_clamped", "bce_logits", "cross_entropy"]


def spec(loss: str) -> LossSpec:
    """The table entry of ``loss`` (names are validated by the config before this is asked)."""
    return LOSSES[loss]


def task_of(loss: str) -> Task:
    return LOSSES[loss].task
