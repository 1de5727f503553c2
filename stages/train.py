"""Stage ``train@<variant>``: train one variant, save its weights and loss history, and (with
``--evaluate``, as dvc.yaml runs it) evaluate it in the same process: one torch start-up and
one DVC stage fewer per variant.

    python -m stages.train <variant> [--evaluate] [--params params.yaml] [--root .]

Reads ``seed``, ``device``, ``num_threads`` and ``variants.<variant>`` from params.yaml and
the prepared dataset (:func:`lrlab.train.train_variant.train_stage`).
"""

from __future__ import annotations

import logging

from lrlab.base.entrypoint import heavy_imports
from lrlab.base.stage_args import parse_variant_args, run
from lrlab.core.config import ParamsFile


def main(argv: list[str]) -> None:
    evaluate_too = {"--evaluate": "then evaluate it, as `train@<variant>` in dvc.yaml does"}
    args = parse_variant_args("python -m stages.train", __doc__, argv, evaluate_too)
    with heavy_imports():  # torch, and matplotlib for the evaluation's figures
        import lrlab.train.evaluate_variant  # noqa: F401
        from lrlab.train.train_variant import train_stage
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    params = ParamsFile(args.params or args.root / "params.yaml")
    train_stage(args.root, args.variant, params, args.evaluate)


if __name__ == "__main__":
    run(main)
