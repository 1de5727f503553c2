"""The base every params.yaml schema builds on: :class:`Frozen` models and typed numbers.

:mod:`lrlab.core.config` (runtime and variants) and each dataset kind in
:mod:`lrlab.datasets.kinds` define their settings with these. They live apart from
:mod:`lrlab.core.config` so that a download stage, which imports its kind's module, does not depend
on the variant schemas: editing those must not fetch a dataset again.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


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


class Frozen(BaseModel):
    """Base for every config object: immutable, strict about unknown keys, finite floats."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False, allow_inf_nan=False)
