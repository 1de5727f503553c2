"""Typed, validated views of params.yaml.

params.yaml is read once per stage into a :class:`ParamsFile`; each stage then asks only for
the keys it declares in dvc.yaml (``seed``, ``device``, ``datasets.<name>``,
``variants.<key>``), so DVC's dependency tracking is exact. Every section is parsed into a
frozen pydantic model (built on :mod:`lrlab.base.schema`; a dataset's schema is its kind's, in
:mod:`lrlab.datasets.kinds`); a wrong type, an out-of-range value or an unknown key raises
:class:`~lrlab.base.errors.ConfigError` worded by :mod:`lrlab.core.params_errors`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from lrlab.base.schema import (
    Float,
    Frozen,
    NonNegativeFloat,
    NonNegativeInt,
    NotABool,
    PositiveFloat,
    PositiveInt,
)
from lrlab.core.loss_table import LOSSES, LossName, Task, spoken
from lrlab.core.model_kinds import KINDS, ModelKind, kinds
from lrlab.core.params_errors import (
    datasets_not_a_mapping,
    load_params,
    missing_key,
    no_variants,
    parse_section,
    reserved_variant,
    unknown_variant_dataset,
)

CUDA_INDEX = re.compile(r"cuda:\d+")  # `device: cuda:N` pins one GPU
RESERVED_VARIANT = "lessons"  # figures/lessons/ holds the lessons' own illustrations


# --- variants -----------------------------------------------------------------------------

IN, OUT = "in", "out"  # an mlp's first and last width, taken from the data
Width = PositiveInt | Literal["in", "out"]


class ModelConfig(Frozen):
    """Architecture: ``sizes`` lists layer widths from input to output.

    A linear, logistic or softmax model may leave ``sizes`` out: ``[features, outputs]`` is
    taken from the data. An mlp may write its first and last widths as ``in`` and ``out``.
    ``output`` defaults to what the loss takes (:mod:`lrlab.core.loss_table`). What each kind
    allows: :mod:`lrlab.core.model_kinds`.
    """

    kind: ModelKind
    sizes: Annotated[list[Width], Field(min_length=2)] | None = None
    activation: Literal["sigmoid", "relu", "tanh"] = "sigmoid"
    output: Literal["raw", "sigmoid"] | None = None
    init: Literal["default", "randn_zero"] = "default"
    form: Literal["vectorized", "loop"] = "vectorized"

    @property
    def resolved(self) -> bool:
        """Whether every width is a number (after :func:`lrlab.core.binding.resolve_widths`)."""
        return self.sizes is not None and all(isinstance(s, int) for s in self.sizes)

    @model_validator(mode="after")
    def _shape_fits_kind(self) -> ModelConfig:
        kind = KINDS[self.kind]
        if kind.hidden and self.sizes is None:
            raise ValueError(
                f"an {self.kind} needs sizes: [in, hidden..., out] (e.g. [in, 16, out])"
            )
        if self.sizes is None:
            return self
        inner = self.sizes[1:-1]
        if IN in self.sizes[1:] or OUT in self.sizes[:-1] or any(isinstance(s, str) for s in inner):
            raise ValueError("'in' may only be the first width and 'out' only the last")
        n_layers = len(self.sizes) - 1
        out = self.sizes[-1]
        if kind.hidden and n_layers < 2:
            raise ValueError(
                f"an {self.kind} needs at least one hidden layer: sizes [in, hidden..., out]"
            )
        if not kind.hidden and n_layers != 1:
            raise ValueError(f"a {self.kind} model has no hidden layer: sizes must be [in, out]")
        if kind.outputs == "one" and out not in (1, OUT):
            raise ValueError(f"a {self.kind} model has one output: sizes must end with 1")
        if kind.outputs == "classes" and isinstance(out, int) and out < 2:
            raise ValueError(f"a {self.kind} model needs at least 2 outputs (classes)")
        if not kind.sigmoid and self.output == "sigmoid":
            raise ValueError(f"a {self.kind} model has output 'raw', not 'sigmoid'")
        return self


class OptimizerConfig(Frozen):
    """Optimizer name and its settings."""

    name: Literal["sgd", "adam"]
    lr: PositiveFloat
    momentum: NonNegativeFloat = 0.0
    weight_decay: NonNegativeFloat = 0.0

    @model_validator(mode="after")
    def _momentum_only_for_sgd(self) -> OptimizerConfig:
        if self.name != "sgd" and self.momentum:
            raise ValueError("momentum applies to sgd only")
        return self


class VariantConfig(Frozen):
    """One experiment: data, model, loss, optimizer and schedule. Documented defaults: see
    README, "Extending lrlab"."""

    dataset: str
    model: ModelConfig
    loss: LossName
    optimizer: OptimizerConfig
    epochs: PositiveInt
    batch_size: PositiveInt | Literal["full"] = "full"
    shuffle: bool = True
    seed_offset: NonNegativeInt = 0
    # which draw of the initial weights to keep: lesson 002's notebook ran its cells out of
    # order, so its runs start from the 3rd and 7th `torch.randn(2, 1)` after the seed
    init_draw: PositiveInt = 1
    # test accuracy after every epoch, in the history (lesson 003 prints it for Fashion-MNIST)
    test_each_epoch: bool = False
    # also record the loss of every N-th batch of each epoch (lesson 001 prints every 100th)
    log_every: NonNegativeInt = 0
    # also train under seeds 0 … N-1 at once (lrlab.train.seed_sweep), for the report's seed spread
    seed_sweep: Annotated[int, NotABool, Field(ge=0, le=1000)] = 0
    # points to predict: a number for one feature, or a list with one number per feature
    query: list[Float | list[Float]] = []

    @model_validator(mode="before")
    @classmethod
    def _output_from_loss(cls, raw: Any) -> Any:
        """A model without ``output`` takes what its loss needs (``sigmoid`` for bce)."""
        if isinstance(raw, dict) and isinstance(raw.get("model"), dict):
            loss = LOSSES.get(raw.get("loss"))  # type: ignore[arg-type]
            if loss is not None and raw["model"].get("output") is None:
                return {**raw, "model": {**raw["model"], "output": loss.output}}
        return raw

    @model_validator(mode="after")
    def _loss_fits_model(self) -> VariantConfig:
        loss = LOSSES[self.loss]
        if self.model.output != loss.output:
            raise ValueError(
                f"loss '{self.loss}' takes {loss.takes}, so model.output must be '{loss.output}'"
            )
        out = self.model.sizes[-1] if self.model.sizes else OUT
        if loss.outputs == "one" and out not in (1, OUT):
            raise ValueError(f"loss '{self.loss}' needs a model with 1 output, not {out}")
        if loss.multiclass and isinstance(out, int) and out < 2:
            raise ValueError(f"loss '{self.loss}' needs a model with at least 2 outputs")
        kind, numpy_kinds = KINDS[self.model.kind], spoken(kinds("numpy"))
        torch_model = kind.trainer == "torch"
        if not torch_model and (
            self.loss != kind.loss or self.optimizer.name != "sgd" or self.batch_size != "full"
        ):
            raise ValueError(
                f"{self.model.kind} trains full-batch gradient descent on loss '{kind.loss}'"
            )
        if self.test_each_epoch and (not torch_model or loss.task != "classification"):
            raise ValueError(
                "test_each_epoch records a test accuracy: it needs a classification loss and a "
                f"torch model (not {numpy_kinds}); set it to false"
            )
        if self.log_every and (not torch_model or self.batch_size == "full"):
            raise ValueError(
                f"log_every = {self.log_every} records every N-th mini-batch's loss: it needs a "
                "torch model and a "
                "numeric batch_size (a full batch is one step per epoch, which the history "
                "already holds); set it to 0"
            )
        if self.seed_sweep and (not torch_model or self.batch_size != "full"):
            raise ValueError(
                f"seed_sweep = {self.seed_sweep} trains the seeds together, full batch, where a "
                "seed sets only the "
                f"initial weights: it needs batch_size 'full' and a torch model ({numpy_kinds} "
                "starts from zeros: no seed enters it). Set it to 0; sweep a mini-batch variant "
                "with queued experiments (README, 'Several seeds')"
            )
        return self

    @property
    def query_points(self) -> list[list[float]]:
        """Each query point as a list of feature values (a number is a one-feature point)."""
        return [
            [float(q)] if isinstance(q, int | float) else [float(v) for v in q] for q in self.query
        ]

    @property
    def is_convex(self) -> bool:
        """Whether the objective has a unique optimum an exact solver can find."""
        return KINDS[self.model.kind].convex

    @property
    def task(self) -> Task:
        return LOSSES[self.loss].task


class Runtime(Frozen):
    """Top-level settings every training stage reads."""

    seed: NonNegativeInt
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    num_threads: NonNegativeInt = 0

    @field_validator("device")
    @classmethod
    def _device(cls, device: str) -> str:
        if device not in ("auto", "cpu", "cuda") and not CUDA_INDEX.fullmatch(device):
            raise ValueError("use 'auto', 'cpu', 'cuda' or 'cuda:N' (N: a GPU's index, e.g. 1)")
        return device


# --- loading -----------------------------------------------------------------------------


class ParamsFile:
    """params.yaml read once; typed accessors validate only the section asked for."""

    def __init__(self, path: str | Path = "params.yaml") -> None:
        self.path = Path(path)
        self.raw: dict[str, Any] = load_params(self.path)

    def _lookup(self, *keys: str) -> Any:
        node: Any = self.raw
        for depth, key in enumerate(keys):
            if not isinstance(node, dict) or key not in node:
                raise missing_key(keys[: depth + 1], list(node) if isinstance(node, dict) else [])
            node = node[key]
        return node

    def runtime(self) -> Runtime:
        """``seed``, ``device`` and ``num_threads`` (top-level keys)."""
        section = {k: self.raw[k] for k in Runtime.model_fields if k in self.raw}
        if "seed" not in section:
            self._lookup("seed")
        return parse_section("", Runtime, section)

    def seed(self) -> int:
        """The one seed every random choice derives from."""
        return parse_section("", Runtime, {"seed": self._lookup("seed")}).seed

    def datasets(self) -> dict[str, Any]:
        """The ``datasets:`` mapping: every dataset's name and settings block, as written (its
        kind's schema validates one: :func:`lrlab.datasets.prepare.dataset_settings`)."""
        datasets = self.raw.get("datasets") or {}
        if not isinstance(datasets, dict):
            raise datasets_not_a_mapping(datasets)
        return datasets

    def _variants(self) -> dict[str, Any]:
        """The ``variants`` mapping; empty or not a mapping is a ConfigError."""
        variants = self._lookup("variants")
        if not isinstance(variants, dict) or not variants:
            raise no_variants(variants)
        return variants

    def variant(self, key: str) -> VariantConfig:
        """The validated settings of ``variants.<key>``; its dataset must be a key under
        ``datasets:``."""
        self._variants()
        if key == RESERVED_VARIANT:
            raise reserved_variant(key)
        variant = parse_section(f"variants.{key}", VariantConfig, self._lookup("variants", key))
        if variant.dataset not in self.datasets():
            raise unknown_variant_dataset(key, variant.dataset, list(self.datasets()))
        return variant

    def variant_keys(self) -> list[str]:
        """Names of every variant, in params.yaml order."""
        return list(self._variants())
