"""The configurations of a sweep: every combination of its ``-S`` settings, parsed by DVC's own
parser, so the syntax is ``dvc exp run -S``'s (``key=1,2,3``, ``key=range(1,4)``,
``key=choice(a,b)``), and each configuration checked against lrlab's params schema here,
before any cluster time is spent on a typo."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lrlab.base.errors import ConfigError, LrlabError
from lrlab.core.config import ParamsFile

Configuration = tuple[str, ...]  # the -S overrides of one experiment, "key=value" each


def configurations(settings: list[str]) -> list[Configuration]:
    """Every combination of ``settings`` (``["a=1,2", "b=3"]`` gives ``a=1 b=3``, ``a=2 b=3``)."""
    from dvc.utils.cli_parse import to_path_overrides
    from dvc.utils.hydra import get_hydra_sweeps

    if not settings:
        raise ConfigError("nothing to sweep: give at least one -S KEY=VALUE1,VALUE2,...")
    try:
        sweeps = get_hydra_sweeps(to_path_overrides(settings))
    except Exception as exc:  # Hydra's grammar errors, DVC's "glob not supported"
        raise ConfigError(
            f"-S {' '.join(settings)}: {exc}. Write KEY=V1,V2,... (or range(a,b), "
            "choice(x,y)) as for `dvc exp run -S`."
        ) from exc
    for sweep in sweeps:
        others = sorted(set(sweep) - {"params.yaml"})
        if others:
            raise ConfigError(f"-S sets {others[0]}: lrlab sweeps params.yaml keys only")
    return [tuple(sweep["params.yaml"]) for sweep in sweeps]


def check(params: Path, configs: list[Configuration]) -> None:
    """Each configuration applied to a copy of ``params`` must give valid params: every variant
    and the runtime settings parse, or the error names the configuration and the key."""
    from dvc.utils.hydra import apply_overrides

    with tempfile.TemporaryDirectory(prefix="lrlab-sweep-check-") as tmp:
        copy = Path(tmp) / "params.yaml"
        for number, config in enumerate(configs, 1):
            shutil.copyfile(params, copy)
            try:
                apply_overrides(copy, list(config))
                parsed = ParamsFile(copy)
                parsed.runtime()
                for key in parsed.variant_keys():
                    parsed.variant(key)
            except LrlabError as exc:
                raise ConfigError(f"configuration {number} ({' '.join(config)}): {exc}") from exc
            except Exception as exc:  # DVC's "Invalid `--set-param` value": a key not there
                cause = str(exc.__cause__ or exc).splitlines()[0]
                raise ConfigError(
                    f"configuration {number} ({' '.join(config)}): {exc} ({cause}). Each -S key "
                    "must exist in params.yaml (add a new key there first)."
                ) from exc


def swept_variants(configs: list[Configuration], variants: list[str]) -> list[str]:
    """The variants whose settings the sweep changes (``variants.<name>.…`` keys), in
    params.yaml order; all of them when it changes a top-level key such as ``seed``."""
    keys = {override.split("=", 1)[0].lstrip("+~") for config in configs for override in config}
    named = {key.split(".")[1] for key in keys if key.startswith("variants.") and "." in key[9:]}
    if any(not key.startswith("variants.") for key in keys):
        return list(variants)
    return [name for name in variants if name in named]


def changed_keys(configs: list[Configuration]) -> list[str]:
    """The keys whose value differs between configurations, in the order first given."""
    values: dict[str, set[str]] = {}
    for config in configs:
        for override in config:
            key, _, value = override.partition("=")
            values.setdefault(key, set()).add(value)
    return [key for key, seen in values.items() if len(seen) > 1 or len(configs) == 1]
