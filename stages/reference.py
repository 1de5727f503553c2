"""Stage ``reference``: the exact optimum (or baseline) of every variant's objective.

    python -m stages.reference [VARIANT ...] [--params params.yaml] [--root .]
    python -m stages.reference --dvc-yaml     # print this stage's dvc.yaml entry

Reads only ``variants.<variant>.dataset``, ``.model`` and ``.loss`` of each variant (the whole
variant is validated) and ``data/prepared/<dataset>.npz``; writes
``data/references/<variant>.json`` for every variant (all of them by default). One process
serves all variants, so the stage pays NumPy/SciPy start-up once; its params are exactly those
three keys per variant, so `dvc exp run -S` on anything else (lr, epochs, ...) never reruns
it. The references are computed first and written only when all of them succeeded.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from lrlab.config import ParamsFile, VariantConfig
from lrlab.datasets.prepared import SUFFIX, PreparedData, load_prepared, prepared_path
from lrlab.errors import ConfigError
from lrlab.io import write_json
from lrlab.reference import compute_reference
from stages._cli import run

log = logging.getLogger("stages.reference")
CODE = [
    "stages/reference.py",
    "lrlab/config.py",
    "lrlab/reference.py",
    "lrlab/objectives.py",
    "lrlab/datasets/prepared.py",
]
OBJECTIVE_FIELDS = ("dataset", "model", "loss")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stages.reference", description=__doc__)
    parser.add_argument("variants", nargs="*", help="keys under `variants:` (default: all)")
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    parser.add_argument("--params", type=Path, help="params file (default: <root>/params.yaml)")
    parser.add_argument("--dvc-yaml", action="store_true", help="print the dvc.yaml entry; exit")
    return parser.parse_args(argv)


def dvc_stage(variants: Mapping[str, VariantConfig]) -> dict[str, Any]:
    """This stage's dvc.yaml entry for ``variants`` (tests keep dvc.yaml equal to it)."""
    datasets = dict.fromkeys(cfg.dataset for cfg in variants.values())
    return {
        "cmd": "python -m stages.reference",
        "deps": CODE + [f"data/prepared/{name}{SUFFIX}" for name in datasets],
        "params": [f"variants.{key}.{field}" for key in variants for field in OBJECTIVE_FIELDS],
        "outs": [f"data/references/{key}.json" for key in variants],
    }


def stage_yaml(stage: Mapping[str, Any]) -> str:
    """:func:`dvc_stage` as the text under ``stages:`` in dvc.yaml."""
    lines = ["  reference:", f"    cmd: {stage['cmd']}"]
    for field in ("deps", "params", "outs"):
        lines += [f"    {field}:", *(f"      - {item}" for item in stage[field])]
    return "\n".join(lines) + "\n"


def reference_for(key: str, variant: VariantConfig, data: PreparedData, path: str) -> dict:
    test = (data.x_test, data.y_test) if data.has_test else (None, None)
    try:
        return compute_reference(
            variant.model,
            variant.loss,
            data.x_train,
            data.y_train,
            *test,
            num_classes=data.info.get("num_classes"),
        )
    except ConfigError as exc:
        raise ConfigError(f"variants.{key} with {path}: {exc}") from None


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    params = ParamsFile(args.params or args.root / "params.yaml")
    keys = args.variants or params.variant_keys()
    variants = {key: params.variant(key) for key in keys}  # every problem before any work
    if args.dvc_yaml:
        print(stage_yaml(dvc_stage(variants)), end="")
        return
    datasets = list(dict.fromkeys(v.dataset for v in variants.values()))
    by_dataset = sorted(keys, key=lambda key: datasets.index(variants[key].dataset))
    references: dict[str, dict] = {}
    loaded: tuple[str, PreparedData] | None = None  # one dataset in memory at a time
    for key in tqdm(by_dataset, desc="reference", unit="variant", leave=False):
        name = variants[key].dataset
        path = prepared_path(args.root, name)
        if loaded is None or loaded[0] != name:
            loaded = (name, load_prepared(path))
        references[key] = reference_for(key, variants[key], loaded[1], path)
    for key in keys:
        reference = references[key]
        write_json(args.root / "data" / "references" / f"{key}.json", reference)
        log.info(
            "reference %s: %s %s, train loss %.6g (%.1f s)",
            key,
            reference["kind"],
            reference["method"],
            reference["train_loss"],
            reference["seconds"],
        )


if __name__ == "__main__":
    run(main)
