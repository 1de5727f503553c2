"""report stage: write report.md, one table of every variant followed by the figures.

Reads ``metrics/<variant>.json`` for every variant of params.yaml (a missing or broken file
stops with its name), the lessons' published figures from ``lessons.yaml`` and links the
figures of :func:`lrlab.plotting.plan.plan_figures`.

    python -m stages.report [--root DIR] [--out report.md] [--lessons lessons.yaml]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from lrlab.config import ParamsFile
from lrlab.errors import LrlabError
from lrlab.io import write_text
from lrlab.plotting.artifacts import read_metrics
from lrlab.plotting.plan import plan_figures
from lrlab.report import build_report, parse_lessons
from stages._cli import run


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m stages.report", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    parser.add_argument("--out", type=Path, default=Path("report.md"), help="under --root")
    parser.add_argument("--lessons", type=Path, default=Path("lessons.yaml"), help="under --root")
    args = parser.parse_args(argv)
    root = args.root
    params = ParamsFile(root / "params.yaml")
    variants = {key: params.variant(key) for key in params.variant_keys()}

    problems, metrics = [], {}
    for key in variants:
        try:
            metrics[key] = read_metrics(root, key)
        except LrlabError as exc:
            problems.append(str(exc))
    if problems:
        raise LrlabError("cannot write the report:\n  " + "\n  ".join(problems))

    lessons_path = root / args.lessons
    try:
        raw = yaml.safe_load(lessons_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LrlabError(f"{args.lessons}: not found (the lessons' published figures).") from None
    except yaml.YAMLError as exc:
        raise LrlabError(f"{args.lessons}: not valid YAML ({exc}).") from None
    lessons = parse_lessons(raw, str(args.lessons))

    figures = plan_figures(variants)
    existing = {spec.path for spec in figures if (root / spec.path).is_file()}
    text = build_report(variants, metrics, lessons, figures, existing)
    write_text(root / args.out, text)
    print(f"report: wrote {args.out} ({len(variants)} variants, {len(existing)} figures)")


if __name__ == "__main__":
    run(main)
