"""Dataset kinds: one module per kind in this package, found by its name.

Every dataset under ``datasets:`` in params.yaml names its ``kind``, the module
``lrlab/datasets/kinds/<kind>.py``. Its module-level ``KIND`` (a :class:`Kind`) gives

- ``settings``: the schema of the dataset's block (built on :class:`DatasetSettings`);
- ``source``: the files ``download@<dataset>`` fetches and verifies into ``data/raw/<dataset>/``
  (a :class:`~lrlab.datasets.fetch.sources.RemoteDataset`), or none, when the dataset is generated,
  listed or read by its prepare stage: then ``made_from`` says what it is made from, and the
  download stage writes that down;
- ``prepare``: the function that turns a :class:`Dataset` into prepared arrays.

Adding a kind is adding a module here: :func:`names` lists the package's modules and
:func:`load` imports the one asked for, so nothing else names a kind or a dataset
(:func:`lrlab.datasets.prepare.dataset_settings` validates a dataset's block with its kind's
schema). A kind module imports at its top only what its download stage may run (this
package, :mod:`lrlab.base.schema`, :mod:`lrlab.datasets.fetch.sources`) and the rest inside
``prepare``; tests/test_stage_deps.py checks both against the stages' deps in dvc.yaml, so
that no edit of the params schemas, their error wording or the preparing code fetches a
dataset again.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrlab.base import layout
from lrlab.base.errors import invalid_values
from lrlab.base.schema import Float, Frozen, PositiveFloat

if TYPE_CHECKING:
    from lrlab.core.prepared import PreparedData
    from lrlab.datasets.fetch.sources import RemoteDataset

SECTION = "datasets"  # params.yaml: every dataset, the lessons' and your own


class DatasetSettings(Frozen):
    """What every dataset's block holds: its ``kind``, the module that reads it."""

    kind: str


@dataclass(frozen=True)
class Dataset:
    """One dataset being prepared: its name (a key under ``datasets:``), its validated
    settings, the seed and the repository root."""

    name: str
    settings: Any
    seed: int
    root: Path

    @property
    def raw(self) -> Path:
        """``data/raw/<name>/``, where its download stage put its files."""
        return layout.raw_dir(self.root, self.name)


@dataclass(frozen=True)
class Kind:
    """What a kind module provides, as its module-level ``KIND``."""

    settings: type[DatasetSettings]
    prepare: Callable[[Dataset], PreparedData]
    source: RemoteDataset | None = None
    made_from: str | None = None  # without a source: what the dataset is made from

    def __post_init__(self) -> None:
        if (self.source is None) == (self.made_from is None):
            raise TypeError("a Kind has either a source to download or made_from, not both")


class ImageSettings(DatasetSettings):
    """An image dataset's pixels: scaled to [0, 1], then ``(x - mean) / std`` once."""

    mean: Float = 0.5
    std: PositiveFloat = 0.5


def names() -> list[str]:
    """Every kind: the modules of this package, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load(kind: Any, dataset: str) -> Kind:
    """The kind module ``kind`` of ``datasets.<dataset>``; an unknown name is a ConfigError."""
    known = names()
    if kind not in known:
        close = difflib.get_close_matches(str(kind), known, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise invalid_values(
            [
                f"{SECTION}.{dataset}.kind = {kind!r}: not a dataset kind{hint}. Kinds: "
                f"{', '.join(known)} (the modules in lrlab/datasets/kinds/)."
            ]
        )
    found = getattr(importlib.import_module(f"{__name__}.{kind}"), "KIND", None)
    if not isinstance(found, Kind):
        raise TypeError(f"lrlab/datasets/kinds/{kind}.py defines no KIND = Kind(...)")
    return found
