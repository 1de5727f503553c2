"""Stage ``prepare``: one dataset, raw, generated or your own CSV, into
``data/prepared/<dataset>.npz`` and ``.json``.

    python -m stages.prepare <dataset>    # dvc repro prepare@<dataset>

Reads only ``seed`` and ``datasets.<dataset>`` from params.yaml (as dvc.yaml declares); the
dataset's kind (lrlab/datasets/kinds/<kind>.py) does the rest. torchvision and scikit-learn are
imported only by the kinds that need them, and nothing here imports torch otherwise, to keep
start-up short.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lrlab.base.stage_args import run
from lrlab.datasets.prepare import prepare_dataset

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stages.prepare", description=__doc__)
    parser.add_argument("dataset", help="a key under `datasets:` in params.yaml")
    parser.add_argument("--params", type=Path, help="params file (default: <root>/params.yaml)")
    parser.add_argument("--root", type=Path, default=REPO, help="repository root")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    print(prepare_dataset(args.root, args.params or args.root / "params.yaml", args.dataset))


if __name__ == "__main__":
    run(main)
