"""Stages ``figures@<variant>`` and ``lesson_figures``: draw PNG figures into one folder.

    python -m stages.figures <variant> [--root .] [--params params.yaml]
    python -m stages.figures --lessons [--root .]

A variant's figures are the catalogue entries that fit its model, loss and data
(:mod:`lrlab.plotting.catalogue`), drawn from its own outputs only; ``--lessons`` draws the
lessons' illustrations. The folder (:func:`lrlab.layout.figures_dir`) is replaced whole,
atomically: a failure leaves the previous folder or none, never a partial one.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lrlab import layout
from lrlab.config import ParamsFile
from lrlab.io import atomic_dir, write_bytes
from lrlab.plotting.catalogue import LESSON_FIGURES, figures_for
from lrlab.plotting.common import to_png
from lrlab.plotting.draw import DRAW, LESSON_DRAW
from lrlab.plotting.inputs import Inputs
from stages._cli import run


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m stages.figures", description=__doc__)
    parser.add_argument("variant", nargs="?", help="a key under `variants:` in params.yaml")
    parser.add_argument("--lessons", action="store_true", help="the lessons' illustrations")
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    parser.add_argument("--params", type=Path, help="params file (default: <root>/params.yaml)")
    args = parser.parse_args(argv)
    if bool(args.variant) == args.lessons:
        parser.error("give either a variant or --lessons")
    start = time.perf_counter()
    if args.lessons:
        owner = layout.LESSON_FIGURES
        drawings = [(name, LESSON_DRAW[name]) for name, _ in LESSON_FIGURES]
    else:
        params = ParamsFile(args.params or args.root / "params.yaml")
        inputs = Inputs(args.root, args.variant, params.variant(args.variant))
        owner = args.variant
        drawings = [(e.name, (lambda e=e: DRAW[e.name](inputs))) for e in figures_for(inputs)]
    with atomic_dir(layout.figures_dir(args.root, owner)) as folder:
        for name, draw in drawings:
            write_bytes(folder / f"{name}.png", to_png(draw()))
    names = ", ".join(name for name, _ in drawings)
    print(f"figures@{owner}: {names} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    run(main)
