"""Stage ``report``: write report.md, one table of every variant followed by its figures.

Reads the metrics and seed sweep of every variant of params.yaml (a missing or broken file
stops with its name), the lessons' published figures from ``lessons.yaml`` (optional per
variant) and lists the PNGs in each variant's figure folder and in the lessons' folder.
dvc.yaml makes it depend on the folders ``metrics/``, ``seeds/`` and ``figures/``, so a new
variant needs no edit there.

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
from lrlab.outputs import read_history, read_metrics, step_losses
from lrlab.plotting.catalogue import ordered
from lrlab.report import FigureLink, build_report
from lrlab.seeds import read_seed_sweep
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

    problems, metrics, sweeps = [], {}, {}
    for key in variants:
        try:
            metrics[key] = read_metrics(root, key)
            sweeps[key] = read_seed_sweep(root, key)
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
    histories, step_histories = {}, {}
    for key, entry in lessons.variants.items():
        if key not in variants or not (entry.printed_losses or entry.printed_step_losses):
            continue
        history = read_history(root, key)
        epochs = history["epoch"].astype(int).tolist()
        histories[key] = dict(zip(epochs, history["train_loss"].tolist(), strict=True))
        steps = step_losses(history)
        step_histories[key] = {
            epoch: {step: float(column[i]) for step, column in steps.items()}
            for i, epoch in enumerate(epochs)
        }
    report = build_report(variants, metrics, lessons, figures, histories, sweeps, step_histories)
    write_text(layout.report_file(root), report)
    print(f"report: wrote {layout.REPORT} ({len(variants)} variants, {len(figures)} figures)")


if __name__ == "__main__":
    run(main)
