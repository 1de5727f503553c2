"""How a bad params.yaml value reads: pydantic's errors turned into one message that names
the full key path, the value given, what is allowed and, for a typo, the nearest valid key.

:func:`parse_section` validates one section into its schema (:mod:`lrlab.core.config`, or a
dataset kind's) and frames its lines with :func:`lrlab.base.errors.invalid_values`; the other
functions word the errors :class:`~lrlab.core.config.ParamsFile` finds before any schema
(:func:`load_params`: the file itself).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lrlab.base.errors import ConfigError, invalid_values

_UNION_TAG = re.compile(r"^(int|float|bool|str|constrained-\w+|literal\[.*\]|function-.*)$")


def format_value(value: Any) -> str:
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


def parse_section(prefix: str, model: type[BaseModel], raw: Any) -> Any:
    """Validate ``raw`` (the value at key path ``prefix``) into ``model``."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"params.yaml: {prefix} = {format_value(raw)}: expected a mapping of settings "
            f"({', '.join(model.model_fields)})."
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise invalid_values(_lines(prefix, model, exc)) from None


def _lines(prefix: str, model: type[BaseModel], exc: ValidationError) -> list[str]:
    """One line per bad key: its path, the value given, and every complaint about it."""
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
    return [
        path
        if not msgs
        else f"{path} = {format_value(values[path])}: {'; or '.join(msgs)}."
        if path in values
        else f"{path}: {'; '.join(msgs)}."
        for path, msgs in problems.items()
    ]


def load_params(path: Path) -> dict[str, Any]:
    """The top-level mapping of the params file at ``path``, or the error saying why not."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found. Run stages from the repository root, where params.yaml lives."
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level.")
    return data


def _close(name: str, choices: list[str], cutoff: float = 0.6) -> str | None:
    found = difflib.get_close_matches(name, choices, n=1, cutoff=cutoff)
    return found[0] if found else None


def missing_key(keys: tuple[str, ...], present: list[str]) -> ConfigError:
    """``keys`` (a path from the top) stops at a mapping holding only ``present``."""
    close = _close(keys[-1], present)
    hint = f" Did you mean '{'.'.join((*keys[:-1], close))}'?" if close else ""
    listing = f" Present: {', '.join(map(str, present))}." if present else ""
    return ConfigError(f"params.yaml: {'.'.join(keys)}: key is missing.{hint}{listing}")


def datasets_not_a_mapping(datasets: Any) -> ConfigError:
    return ConfigError(
        f"params.yaml: datasets = {format_value(datasets)} is not a mapping of dataset names to "
        "settings. Write `datasets: {}` for none (README, 'Extending lrlab')."
    )


def unknown_dataset(name: str, known: list[str]) -> ConfigError:
    close = _close(name, known)
    hint = f" Did you mean '{close}'?" if close else ""
    return ConfigError(
        f"params.yaml: unknown dataset '{name}'.{hint} Known datasets: {', '.join(known)}. Add "
        "your own under `datasets:` in params.yaml (README, 'Extending lrlab')."
    )


def unknown_variant_dataset(key: str, dataset: str, known: list[str]) -> ConfigError:
    close = _close(dataset, known)
    hint = f" (did you mean '{close}'?)" if close else ""
    return invalid_values(
        [
            f"variants.{key}.dataset = {dataset!r}: not a dataset{hint}. Known datasets: "
            f"{', '.join(known)}; add your own under `datasets:` (README, 'Extending lrlab')."
        ]
    )


def reserved_variant(key: str) -> ConfigError:
    return ConfigError(
        f"params.yaml: variants.{key}: '{key}' is reserved (figures/{key}/ holds the lessons' "
        "own illustrations). Rename the variant."
    )


def no_variants(variants: Any) -> ConfigError:
    problem = (
        "variants is empty"
        if not variants
        else f"variants = {format_value(variants)} is not a mapping of variant names to settings"
    )
    return ConfigError(
        f"params.yaml: {problem}. Define at least one variant under `variants:`, e.g. "
        "`linear_toy: {dataset: linear-toy, model: {kind: linear, sizes: [1, 1]}, "
        "loss: mse, optimizer: {name: sgd, lr: 0.01}, epochs: 50}` (see README, 'Add a variant')."
    )
