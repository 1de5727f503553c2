"""What each model kind means (``model.kind`` in params.yaml): one entry per kind.

An entry says whether the kind's objective is convex (the reference solves its exact optimum;
otherwise it reports baselines), what trains it (torch, or lesson 004's NumPy gradient
descent), its layers (one affine layer, or hidden layers too), the outputs and output form it
allows, the one loss it is restricted to (if any), and its torch builder. The config's allowed
kinds, its shape checks and their messages, the model builder, the reference and the training
stage ask this table instead of comparing kind names. No torch here: the builder is named as
``module:attribute`` (a function of the :class:`~lrlab.core.config.ModelConfig`) and resolved by
:mod:`lrlab.train.models`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class KindSpec:
    """One model kind. ``hidden``: its sizes are ``[in, hidden..., out]`` with at least one
    hidden layer (else ``[in, out]``); ``outputs``: how many outputs it may have (``one``,
    ``classes``: at least 2, or ``any``); ``sigmoid``: whether its output may be ``sigmoid``
    (else only ``raw``); ``loss``: the only loss it trains, if it has one."""

    convex: bool
    trainer: Literal["torch", "numpy"]
    hidden: bool
    outputs: Literal["one", "classes", "any"]
    sigmoid: bool
    builder: str
    loss: str | None = None


KINDS: dict[str, KindSpec] = {
    "linear": KindSpec(
        convex=True,
        trainer="torch",
        hidden=False,
        outputs="any",
        sigmoid=False,
        builder="lrlab.train.models:one_layer",
    ),
    "logistic": KindSpec(
        convex=True,
        trainer="torch",
        hidden=False,
        outputs="one",
        sigmoid=True,
        builder="lrlab.train.models:one_layer",
    ),
    "softmax": KindSpec(
        convex=True,
        trainer="torch",
        hidden=False,
        outputs="classes",
        sigmoid=False,
        builder="lrlab.train.models:one_layer",
    ),
    "mlp": KindSpec(
        convex=False,
        trainer="torch",
        hidden=True,
        outputs="any",
        sigmoid=True,
        builder="lrlab.train.models:mlp",
    ),
    "numpy_logistic": KindSpec(  # lesson 004; evaluated as the torch logistic model
        convex=True,
        trainer="numpy",
        hidden=False,
        outputs="one",
        sigmoid=True,
        builder="lrlab.train.models:one_layer",
        loss="bce",
    ),
}
ModelKind = Literal[tuple(KINDS)]  # the config's allowed values, in table order


def kinds(trainer: Literal["torch", "numpy"]) -> list[str]:
    """The kinds that ``trainer`` trains, in table order."""
    return [name for name, kind in KINDS.items() if kind.trainer == trainer]
