"""Mean ± std of a variant's metrics over a seed sweep of DVC experiments.

    dvc exp run --queue -S 'variants.fashion_softmax.seed_offset=1,2,3,4'
    dvc queue start -j 1          # wait until `dvc queue status` shows them done
    lrlab seeds fashion_softmax --metric test.accuracy train.loss

Reads `dvc exp show --json` (or a saved copy with --json FILE) and takes the workspace, the
baseline commit and every experiment whose `variants.<variant>` equals the baseline's but for
`seed_offset` (or whose top-level `seed` differs), one run per distinct seed. Not a pipeline
stage: a tool to read experiments.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("variant", help="a key under `variants:` in params.yaml")
    parser.add_argument(
        "--metric", nargs="+", metavar="KEY", default=["test.accuracy"], help="dotted keys"
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="saved `dvc exp show --json` output"
    )
    parser.add_argument(
        "--repo", type=Path, default=Path("."), metavar="DIR", help="repository root"
    )


def run(args: argparse.Namespace) -> None:
    from lrlab.report import seeds  # pandas: not for `lrlab --help` or the other commands

    print(seeds.experiment_stats(args.variant, args.metric, args.repo, args.json))
