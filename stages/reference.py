"""Stage ``reference@<variant>``: the exact optimum (or baseline) of a variant's objective.

    python -m stages.reference <variant> [--params params.yaml] [--root .]

Uses only ``variants.<variant>.dataset``, ``.model`` and ``.loss`` (the whole variant is
validated) and ``data/prepared/<dataset>.npz``; writes ``data/references/<variant>.json``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from lrlab.config import ParamsFile
from lrlab.datasets.prepared import load_prepared, prepared_path
from lrlab.errors import ConfigError
from lrlab.io import write_json
from lrlab.reference import compute_reference
from stages._cli import run

log = logging.getLogger("stages.reference")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stages.reference", description=__doc__)
    parser.add_argument("variant", help="a key under `variants:` in params.yaml")
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    parser.add_argument("--params", type=Path, help="params file (default: <root>/params.yaml)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    variant = ParamsFile(args.params or args.root / "params.yaml").variant(args.variant)
    path = prepared_path(args.root, variant.dataset)
    data = load_prepared(path)
    test = (data.x_test, data.y_test) if data.has_test else (None, None)
    try:
        reference = compute_reference(
            variant.model,
            variant.loss,
            data.x_train,
            data.y_train,
            *test,
            num_classes=data.info.get("num_classes"),
        )
    except ConfigError as exc:
        raise ConfigError(f"variants.{args.variant} with {path}: {exc}") from None
    write_json(args.root / "data" / "references" / f"{args.variant}.json", reference)
    log.info(
        "reference@%s: %s %s, train loss %.6g (%.1f s)",
        args.variant,
        reference["kind"],
        reference["method"],
        reference["train_loss"],
        reference["seconds"],
    )


if __name__ == "__main__":
    run(main)
