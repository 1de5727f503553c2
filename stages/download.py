"""Stage ``download``: one dataset's raw data into ``data/raw/<dataset>/`` (verified files, or
a record of what a generated or listed dataset is made from).

    python -m stages.download <dataset> --kind <kind>     # dvc repro download@<dataset>
    DATA_MIRROR=../shared/datasets python -m stages.download ...  # an offline copy first

dvc.yaml passes ``--kind`` from ``datasets.<dataset>.kind``. ``DATA_MIRROR`` names a folder
laid out as ``<dataset>/<published file name>``; it is tried before the canonical URLs. A
relative path is resolved against the repository root.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lrlab.base import layout
from lrlab.base.stage_args import run
from lrlab.datasets.fetch.raw import download

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stages.download", description=__doc__)
    parser.add_argument("dataset", help="a key under `datasets:` in params.yaml")
    parser.add_argument("--kind", required=True, help="its kind (a module in lrlab/datasets/kinds)")
    parser.add_argument("--out", type=Path, default=REPO / layout.RAW, help="raw data root")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--retries", type=int, default=2, help="extra tries per URL")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    kwargs = {"timeout": args.timeout, "retries": args.retries}
    print(download(args.dataset, args.kind, args.out, REPO, **kwargs))


if __name__ == "__main__":
    run(main)
