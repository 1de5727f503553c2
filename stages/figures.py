"""Stage ``lesson_figures``, and a variant's figures redrawn by hand.

    python -m stages.figures --lessons [--root .]
    python -m stages.figures <variant> [--root .] [--params params.yaml]

``--lessons`` draws the lessons' illustrations into ``figures/lessons/``. A variant's figures
are drawn by its ``train@<variant>`` stage; ``<variant>`` redraws them from the same
outputs, e.g. after a change to the plotting code (:mod:`lrlab.plotting.render`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lrlab.base import layout
from lrlab.base.stage_args import run
from lrlab.core.config import ParamsFile
from lrlab.plotting.render import lesson_figures, variant_figures


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
        owner, names = layout.LESSON_FIGURES, lesson_figures(args.root)
    else:
        params = ParamsFile(args.params or args.root / "params.yaml")
        owner = args.variant
        names = variant_figures(args.root, owner, params.variant(owner))
    print(f"figures@{owner}: {', '.join(names)} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    run(main)
