"""Stage ``download``: fetch and verify one remote dataset into ``data/raw/<dataset>/``.

    python -m stages.download mnist
    DATA_MIRROR=../shared/datasets python -m stages.download mnist   # offline copy first

``DATA_MIRROR`` names a folder laid out as ``<dataset>/<published file name>``; it is tried
before the canonical URLs. A relative path is resolved against the repository root.
"""

from __future__ import annotations

import argparse
import difflib
import time
from pathlib import Path

from lrlab import layout
from lrlab.datasets import registry
from lrlab.datasets.download import download_dataset, mirror_from_env
from lrlab.errors import DataError
from stages._cli import run

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stages.download", description=__doc__)
    parser.add_argument("dataset", help="one of: " + ", ".join(registry.REMOTE))
    parser.add_argument("--out", type=Path, default=REPO / layout.RAW, help="raw data root")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--retries", type=int, default=2, help="extra tries per URL")
    return parser.parse_args(argv)


def lookup(name: str) -> registry.RemoteDataset:
    if name in registry.REMOTE:
        return registry.REMOTE[name]
    close = difflib.get_close_matches(name, list(registry.REMOTE), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise DataError(
        f"unknown remote dataset '{name}'.{hint} Datasets to download: "
        f"{', '.join(registry.REMOTE)} (the others are embedded and need no download)."
    )


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    spec = lookup(args.dataset)
    mirror = mirror_from_env(REPO)
    started = time.perf_counter()
    dest = download_dataset(
        spec, args.out / spec.name, mirror, timeout=args.timeout, retries=args.retries
    )
    size = sum(path.stat().st_size for path in dest.rglob("*") if path.is_file())
    print(
        f"download {spec.name}: {len(spec.files)} file(s), {size / 1e6:.1f} MB verified "
        f"-> {dest} ({time.perf_counter() - started:.1f} s)"
    )


if __name__ == "__main__":
    run(main)
