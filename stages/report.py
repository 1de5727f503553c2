"""Stage ``report``: write report.md, one table of every variant followed by its figures.

Reads the metrics and seed sweep of every variant of params.yaml, the lessons' published
figures from ``lessons.yaml`` and the PNGs in each figure folder
(:func:`lrlab.report.inputs.write_report`). dvc.yaml makes it depend on the folders
``metrics/``, ``seeds/`` and ``figures/``, so a new variant needs no edit there.

    python -m stages.report [--root DIR] [--lessons lessons.yaml]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lrlab.base import layout
from lrlab.base.stage_args import run
from lrlab.report.inputs import write_report


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m stages.report", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    parser.add_argument("--lessons", type=Path, default=Path("lessons.yaml"), help="under --root")
    args = parser.parse_args(argv)
    variants, figures = write_report(args.root, args.lessons)
    print(f"report: wrote {layout.REPORT} ({variants} variants, {figures} figures)")


if __name__ == "__main__":
    run(main)
