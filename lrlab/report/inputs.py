"""What the report is made from, read from the pipeline's outputs: every variant's metrics
and seed sweep (a missing or broken file stops with its name), the lessons' published figures
(``lessons.yaml``), the PNGs in each figure folder and, where a lesson printed its losses, the
training histories. :func:`write_report` builds report.md from them (:mod:`lrlab.report.build`).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from lrlab.base import layout
from lrlab.base.errors import LrlabError
from lrlab.base.io import write_text
from lrlab.core.config import ParamsFile
from lrlab.core.outputs import read_history, read_metrics, step_losses
from lrlab.plotting.catalogue import ordered
from lrlab.report.build import FigureLink, build_report
from lrlab.report.lessons import LessonsFile, parse_lessons
from lrlab.report.seeds import read_seed_sweep


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


def read_lessons(root: Path, path: Path) -> LessonsFile:
    """``lessons.yaml`` (``path`` under ``root``), parsed and checked."""
    try:
        raw = yaml.safe_load((root / path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LrlabError(f"{path}: not found (the lessons' published figures).") from None
    except yaml.YAMLError as exc:
        raise LrlabError(f"{path}: not valid YAML ({exc}).") from None
    return parse_lessons(raw, str(path))


def printed_histories(root: Path, variants: dict, lessons: LessonsFile) -> tuple[dict, dict]:
    """Per epoch, this run's training loss and its logged step losses, for each variant whose
    lesson printed its losses (the report sets them side by side)."""
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
    return histories, step_histories


def write_report(root: Path, lessons_path: Path) -> tuple[int, int]:
    """Write report.md under ``root``; returns how many variants and figures it shows."""
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
    lessons = read_lessons(root, lessons_path)
    figures = figure_links(root, [layout.LESSON_FIGURES, *variants])
    histories, step_histories = printed_histories(root, variants, lessons)
    report = build_report(variants, metrics, lessons, figures, histories, sweeps, step_histories)
    write_text(layout.report_file(root), report)
    return len(variants), len(figures)
