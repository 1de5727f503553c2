"""Stage ``report``: write report.md, one table of every variant followed by its figures.

Reads the metrics of every variant of params.yaml (a missing or broken file stops with its
name), the lessons' published figures from ``lessons.yaml`` (optional per variant) and lists
the PNGs in each variant's figure folder and in the lessons' folder. dvc.yaml makes it depend
on the folders ``metrics/`` and ``figures/``, so a new variant needs no edit there.

    python -m stages.report [--root DIR] [--lessons lessons.yaml]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from lrlab import layout
from lrlab.config import ParamsFile
from lrlab.errors import LrlabError
from lrlab.io import write_text
from lrlab.lessons import parse_lessons
from lrlab.outputs import read_history, read_metrics
from lrlab.plotting.catalogue import ordered
from lrlab.report import FigureLink, build_report
from stages._cli import run


def figure_links(root: Path, owners: list[str]) -> list[FigureLink]:
    """The PNGs in each owner's figure folder, in catalogue order (unknown names last)."""
    links = []
    for owner in owners:
        catalogue = dict(ordered(lessons=owner == layout.LESSON_FIGURES))
        order = {name: i for i, name in enumerate(catalogue)}
        pngs = layout.figures_dir(root, owner).glob("*.png")
        for png in sorted(pngs, key=lambda p: (order.get(p.stem, len(order)), p.stem)):
            text = catalogue.get(png.stem, png.stem)
            links.append(FigureLink(owner, layout.relative(root, png), text))
    return links


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m stages.report", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
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

    figures = figure_links(root, [layout.LESSON_FIGURES, *variants])
    histories = {}
    for key, entry in lessons.variants.items():
        if entry.printed_losses and key in variants:
            history = read_history(root, key)
            epochs = history["epoch"].astype(int).tolist()
            histories[key] = dict(zip(epochs, history["train_loss"].tolist(), strict=True))
    report = build_report(variants, metrics, lessons, figures, histories)
    write_text(layout.report_file(root), report)
    print(f"report: wrote {layout.REPORT} ({len(variants)} variants, {len(figures)} figures)")


if __name__ == "__main__":
    run(main)
