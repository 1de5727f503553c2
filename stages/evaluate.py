"""Evaluate a trained variant beside its reference: metrics, predictions and figures.

    python -m stages.evaluate <variant> [--params params.yaml] [--root .]

In the pipeline ``train@<variant>`` does this in its own process (``--evaluate``); run by
hand it re-evaluates a saved model, e.g. after a change to the metrics or the figures
(:mod:`lrlab.train.evaluate_variant`). Reads ``variants.<variant>``, the model file (safely,
``weights_only=True``), the prepared dataset and ``references/<variant>.json``.
"""

from __future__ import annotations

import logging

from lrlab.base import layout
from lrlab.base.entrypoint import heavy_imports
from lrlab.base.stage_args import parse_variant_args, run
from lrlab.core.binding import load_bound
from lrlab.core.config import ParamsFile


def main(argv: list[str]) -> None:
    args = parse_variant_args("python -m stages.evaluate", __doc__, argv)
    with heavy_imports():  # torch and matplotlib
        from lrlab.core.model_file import read_model_file
        from lrlab.train.evaluate_variant import evaluate_variant
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    variant = ParamsFile(args.params or args.root / "params.yaml").variant(args.variant)
    variant, arrays = load_bound(args.root, args.variant, variant)
    checkpoint = read_model_file(layout.model_file(args.root, args.variant), args.variant)
    evaluate_variant(args.root, args.variant, variant, arrays, checkpoint)


if __name__ == "__main__":
    run(main)
