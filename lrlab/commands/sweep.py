"""A grid of DVC experiments as Ray tasks, on this machine or a Ray cluster.

    lrlab sweep -S 'variants.fashion_softmax.optimizer.lr=0.1,0.01,0.001' [-S ...]
    lrlab sweep --address HEAD_IP:6379 --max-parallel 8 -S ...

Every combination of the -S settings (dvc exp run -S syntax) is one experiment: a task
clones the git remote at this commit, applies the workspace's uncommitted changes, runs
`dvc exp run --pull` (the shared run cache restores what any machine ran before) and pushes
the results to the DVC remote and the experiment to the git remote. Elsewhere, `dvc exp pull
origin` brings the sweep in. Without --address, Ray runs on this machine alone. See
docs/cluster.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-S",
        "--set-param",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUES",
        help="a params.yaml key and its values, as for `dvc exp run -S` (repeatable)",
    )
    parser.add_argument("targets", nargs="*", help="stages to reproduce (default: all)")
    parser.add_argument("--name", metavar="PREFIX", help="experiments are named PREFIX-1, ...")
    parser.add_argument("--address", metavar="HOST:PORT", help="a Ray cluster to join")
    parser.add_argument("--max-parallel", type=int, metavar="N", help="tasks at once")
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        metavar="N",
        help="times a task whose worker or node dies is retried elsewhere (default 2)",
    )
    parser.add_argument("--git-remote", default="origin", help="where the workers clone from")
    parser.add_argument(
        "--repo", type=Path, default=Path("."), metavar="DIR", help=argparse.SUPPRESS
    )


def run(args: argparse.Namespace) -> None:
    from lrlab.sweep.console import run_sweep

    run_sweep(
        args.repo,
        args.settings,
        args.name,
        args.address,
        args.max_parallel,
        args.retries,
        args.git_remote,
        tuple(args.targets),
    )
