"""Typed, validated views of params.yaml.

params.yaml is read once per stage into a :class:`ParamsFile`; each stage then asks only for
the keys it declares in dvc.yaml (``seed``, ``device``, ``lesson_datasets.<name>`` or
``datasets.<name>``, ``variants.<key>``), so DVC's dependency tracking is exact. Every
section is parsed into a frozen pydantic model; a wrong type, an out-of-range value or an
unknown key raises :class:`~lrlab.errors.ConfigError` naming the full key path, the bad
value, what is allowed, and for a typo the nearest valid key.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from lrlab.errors import ConfigError
from lrlab.loss_table import LOSSES, LossName, Task, spoken
from lrlab.model_kinds import KINDS, ModelKind, kinds


def _not_a_bool(value: Any) -> Any:
    """Refuse YAML booleans (``true``, ``yes``, ``on``...) where a number belongs; pydantic
    would otherwise read ``epochs: yes`` as 1."""
    if isinstance(value, bool):
        raise ValueError(f"Input should be a number, not the boolean {str(value).lower()}")
    return value


NotABool = BeforeValidator(_not_a_bool)
Int = Annotated[int, NotABool]
Float = Annotated[float, NotABool]
PositiveInt = Annotated[int, NotABool, Field(gt=0)]
NonNegativeInt = Annotated[int, NotABool, Field(ge=0)]
PositiveFloat = Annotated[float, NotABool, Field(gt=0)]
NonNegativeFloat = Annotated[float, NotABool, Field(ge=0)]
Fraction = Annotated[float, NotABool, Field(gt=0, lt=1)]

REMOTE_DATASETS = ("mnist", "fashion-mnist", "exam-scores", "diabetes")
TOY_DATASETS = ("hours-pass", "study-hours", "linear-toy", "linear-15pt")
EMBEDDED_DATASETS = ("breast-cancer", "synthetic-regression", "two-clusters", *TOY_DATASETS)
ALL_DATASETS = REMOTE_DATASETS + EMBEDDED_DATASETS
LESSON_SECTION = "lesson_datasets"  # params.yaml: the lessons' datasets' settings
OWN_SECTION = "datasets"  # params.yaml: your own datasets (kind: csv)


def prepare_stage(dataset: str) -> str:
    """The dvc.yaml stage that writes ``dataset``'s prepared arrays."""
    return f"prepare@{dataset}" if dataset in ALL_DATASETS else f"prepare_csv@{dataset}"


CUDA_INDEX = re.compile(r"cuda:\d+")  # `device: cuda:N` pins one GPU
RESERVED_VARIANT = "lessons"  # figures/lessons/ holds the lessons' own illustrations


class Frozen(BaseModel):
    """Base for every config object: immutable, strict about unknown keys, finite floats."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False, allow_inf_nan=False)


# --- datasets -----------------------------------------------------------------------------


class ImageConfig(Frozen):
    """MNIST-style images: scaled to [0, 1], then ``(x - mean) / std`` once."""

    mean: Float = 0.5
    std: PositiveFloat = 0.5


class ExamScoresConfig(Frozen):
    """The two-exam admission data; each feature column is divided by its maximum."""

    test_fraction: Fraction | None = None


class TabularSplitConfig(Frozen):
    """A tabular set split into stratified train/test parts (``test_fraction: null``: all rows
    train, as the lessons do)."""

    test_fraction: Fraction | None = 0.2


class BreastCancerConfig(TabularSplitConfig):
    """scikit-learn's breast cancer data, standardized with training statistics."""

    standardize: bool = True


class SyntheticRegressionConfig(Frozen):
    """``sklearn.datasets.make_regression`` settings."""

    n_samples: Annotated[int, NotABool, Field(ge=2)] = 1000
    n_features: PositiveInt = 1
    noise: NonNegativeFloat = 10.0
    test_fraction: Fraction | None = None


class TwoClustersConfig(Frozen):
    """Two Gaussian clusters centred at ``+center`` and ``-center`` on every axis."""

    n_per_class: Annotated[int, NotABool, Field(ge=2)] = 100
    n_features: PositiveInt = 2
    center: PositiveFloat = 2.0
    std: PositiveFloat = 1.0
    test_fraction: Fraction | None = 0.2


class ToyConfig(Frozen):
    """A lesson's handful of points, listed in params.yaml."""

    x: Annotated[list[Float], Field(min_length=1)]
    y: Annotated[list[Float], Field(min_length=1)]

    @model_validator(mode="after")
    def _same_length(self) -> ToyConfig:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} values but y has {len(self.y)}; they must match")
        return self


DATASET_MODELS: dict[str, type[Frozen]] = {
    "mnist": ImageConfig,
    "fashion-mnist": ImageConfig,
    "exam-scores": ExamScoresConfig,
    "diabetes": TabularSplitConfig,
    "breast-cancer": BreastCancerConfig,
    "synthetic-regression": SyntheticRegressionConfig,
    "two-clusters": TwoClustersConfig,
    **{name: ToyConfig for name in TOY_DATASETS},
}

# --- variants -----------------------------------------------------------------------------

IN, OUT = "in", "out"  # an mlp's first and last width, taken from the data
Width = PositiveInt | Literal["in", "out"]


class ModelConfig(Frozen):
    """Architecture: ``sizes`` lists layer widths from input to output.

    A linear, logistic or softmax model may leave ``sizes`` out: ``[features, outputs]`` is
    taken from the data. An mlp may write its first and last widths as ``in`` and ``out``.
    ``output`` defaults to what the loss takes (:mod:`lrlab.loss_table`). What each kind
    allows: :mod:`lrlab.model_kinds`.
    """

    kind: ModelKind
    sizes: Annotated[list[Width], Field(min_length=2)] | None = None
    activation: Literal["sigmoid", "relu", "tanh"] = "sigmoid"
    output: Literal["raw", "sigmoid"] | None = None
    init: Literal["default", "randn_zero"] = "default"
    form: Literal["vectorized", "loop"] = "vectorized"

    @property
    def resolved(self) -> bool:
        """Whether every width is a number (after :func:`lrlab.binding.resolve_widths`)."""
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
    # also train under seeds 0 … N-1 at once (lrlab.seed_sweep), for the report's seed spread
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


# --- loading and error messages -----------------------------------------------------------


def _format_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model that owns the key at ``loc``."""
    current: Any = model
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = fields[part].annotation
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


_UNION_TAG = re.compile(r"^(int|float|bool|str|constrained-\w+|literal\[.*\]|function-.*)$")


def _key_path(prefix: str, loc: tuple[Any, ...], unknown_key: bool = False) -> str:
    """``prefix`` joined with pydantic's location, without union-member tags. The last part
    of an ``unknown_key`` location is the user's key, kept even if it reads like a tag
    (``model.int``, a typo of ``model.init``)."""
    path = prefix
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif (unknown_key and i == len(loc) - 1) or not _UNION_TAG.match(str(part)):
            path += f".{part}" if path else str(part)
    return path or "params.yaml"


def _literal_hint(err: dict[str, Any]) -> str:
    """' Did you mean ...?' for a misspelt choice such as a dataset or loss name."""
    if err["type"] != "literal_error" or not isinstance(err.get("input"), str):
        return ""
    choices = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
    close = difflib.get_close_matches(err["input"], choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _unknown_key(path: str, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    allowed = _fields_at(model, loc)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
    parent = path.rsplit(".", 1)[0]
    hint = f" Did you mean '{parent}.{close[0]}'?" if close else ""
    return f"{path}: unknown key.{hint} Allowed keys here: {', '.join(allowed)}."


def parse_section(prefix: str, model: type[Frozen], raw: Any) -> Any:
    """Validate ``raw`` (the value at key path ``prefix``) into ``model``."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"params.yaml: {prefix} = {_format_value(raw)}: expected a mapping of settings "
            f"({', '.join(model.model_fields)})."
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        for err in exc.errors():
            unknown = err["type"] == "extra_forbidden"
            path = _key_path(prefix, tuple(err["loc"]), unknown_key=unknown)
            if unknown:
                problems.setdefault(_unknown_key(path, model, tuple(err["loc"])), [])
            elif err["type"] == "missing":
                problems.setdefault(f"{path}: required key is missing.", [])
            else:
                if err["loc"]:
                    values[path] = err.get("input")
                message = err["msg"].removeprefix("Value error, ") + _literal_hint(err)
                problems.setdefault(path, [])
                if message not in problems[path]:
                    problems[path].append(message)
        lines = [
            path
            if not msgs
            else f"{path} = {_format_value(values[path])}: {'; or '.join(msgs)}."
            if path in values
            else f"{path}: {'; '.join(msgs)}."
            for path, msgs in problems.items()
        ]
        raise ConfigError(
            "params.yaml has invalid values:\n  "
            + "\n  ".join(lines)
            + "\nFix them in params.yaml (or in your `dvc exp run -S` overrides) and rerun."
        ) from None


class ParamsFile:
    """params.yaml read once; typed accessors validate only the section asked for."""

    def __init__(self, path: str | Path = "params.yaml") -> None:
        self.path = Path(path)
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"{self.path}: file not found. Run stages from the repository root, where "
                "params.yaml lives."
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{self.path}: not valid YAML ({exc}).") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{self.path}: expected a mapping at the top level.")
        self.raw: dict[str, Any] = data

    def _lookup(self, *keys: str) -> Any:
        node: Any = self.raw
        for depth, key in enumerate(keys):
            if not isinstance(node, dict) or key not in node:
                path = ".".join(keys[: depth + 1])
                options = list(node) if isinstance(node, dict) else []
                close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
                hint = f" Did you mean '{'.'.join((*keys[:depth], close[0]))}'?" if close else ""
                listing = f" Present: {', '.join(map(str, options))}." if options else ""
                raise ConfigError(f"params.yaml: {path}: key is missing.{hint}{listing}")
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

    def dataset(self, name: str, own: type[Frozen] | None = None) -> Any:
        """The validated settings of a lesson dataset (``lesson_datasets.<name>``) or of your
        own (``datasets.<name>``, parsed as ``own``: the prepare stage passes
        :class:`~lrlab.datasets.csv_table.CsvDatasetConfig`, which builds on this module)."""
        own_datasets = self.own_datasets()
        if name in DATASET_MODELS:
            raw = self._lookup(LESSON_SECTION, name)
            return parse_section(f"{LESSON_SECTION}.{name}", DATASET_MODELS[name], raw or {})
        if name not in own_datasets:
            known = [*DATASET_MODELS, *own_datasets]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"params.yaml: unknown dataset '{name}'.{hint} Known datasets: "
                f"{', '.join(known)}. Add your own under `{OWN_SECTION}:` in params.yaml "
                "(README, 'Extending lrlab')."
            )
        if own is None:
            raise ConfigError(f"params.yaml: {OWN_SECTION}.{name}: read it with its own model.")
        return parse_section(f"{OWN_SECTION}.{name}", own, own_datasets[name] or {})

    def own_datasets(self) -> dict[str, Any]:
        """The ``datasets:`` mapping (your own datasets); a lesson dataset's name is refused."""
        own = self.raw.get(OWN_SECTION) or {}
        if not isinstance(own, dict):
            raise ConfigError(
                f"params.yaml: {OWN_SECTION} = {_format_value(own)} is not a mapping of dataset "
                "names to settings. Write `datasets: {}` for none (README, 'Extending lrlab')."
            )
        taken = [name for name in own if name in DATASET_MODELS]
        if taken:
            raise ConfigError(
                f"params.yaml: {OWN_SECTION}.{taken[0]}: '{taken[0]}' is a lesson dataset's "
                f"name (its settings are under `{LESSON_SECTION}:`). Rename your dataset."
            )
        return own

    def _variants(self) -> dict[str, Any]:
        """The ``variants`` mapping; empty or not a mapping is a ConfigError."""
        variants = self._lookup("variants")
        if not isinstance(variants, dict) or not variants:
            problem = (
                "variants is empty"
                if not variants
                else f"variants = {_format_value(variants)} is not a mapping of variant names "
                "to settings"
            )
            raise ConfigError(
                f"params.yaml: {problem}. Define at least one variant under `variants:`, e.g. "
                "`linear_toy: {dataset: linear-toy, model: {kind: linear, sizes: [1, 1]}, "
                "loss: mse, optimizer: {name: sgd, lr: 0.01}, epochs: 50}` "
                "(see README, 'Variants')."
            )
        return variants

    def variant(self, key: str) -> VariantConfig:
        """The validated settings of ``variants.<key>``; its dataset must be a built-in one or
        a key under ``datasets:``."""
        self._variants()
        if key == RESERVED_VARIANT:
            raise ConfigError(
                f"params.yaml: variants.{key}: '{key}' is reserved (figures/{key}/ holds the "
                "lessons' own illustrations). Rename the variant."
            )
        variant = parse_section(f"variants.{key}", VariantConfig, self._lookup("variants", key))
        known = dict.fromkeys([*ALL_DATASETS, *self.own_datasets()])
        if variant.dataset not in known:
            close = difflib.get_close_matches(variant.dataset, list(known), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(
                f"params.yaml has invalid values:\n  variants.{key}.dataset = "
                f"{variant.dataset!r}: not a dataset{hint}. Known datasets: "
                f"{', '.join(known)}; add your own under `datasets:` (README, 'Extending "
                "lrlab').\n"
                "Fix them in params.yaml (or in your `dvc exp run -S` overrides) and rerun."
            )
        return variant

    def variant_keys(self) -> list[str]:
        """Names of every variant, in params.yaml order."""
        return list(self._variants())
