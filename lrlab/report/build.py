"""report.md: one table of every variant against its lesson and its exact optimum, then figures.

:func:`build_report` is pure: it takes the variant configs, each variant's metrics dict (as
``metrics/<variant>.json`` holds it), the lessons' published figures (``lessons.yaml``) and
the figures found in each variant's figure folder, and returns Markdown. Numbers are never typed
in here: every one comes from the metrics or from lessons.yaml.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lrlab.base.layout import LESSON_FIGURES
from lrlab.core.config import VariantConfig
from lrlab.report.lessons import LessonsFile, Published
from lrlab.report.markdown import DASH, header, row
from lrlab.report.printed_losses import printed_losses_table, step_losses_table
from lrlab.report.seed_report import seed_section
from lrlab.report.seeds import SeedSweep


@dataclass(frozen=True)
class FigureLink:
    """A rendered figure: its owner (a variant or ``lessons``), relative path and caption."""

    owner: str
    path: str
    caption: str


# --- number formatting ------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    """A number, or the only number of a one-element (nested) list such as a 1x1 weight."""
    while isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def fmt(value: Any, digits: int = 4) -> str:
    """A number to ``digits`` significant digits; anything else as a dash."""
    v = _num(value)
    if v is None or not math.isfinite(v):
        return DASH if v is None else str(v)
    return "0" if abs(v) < 1e-12 else f"{v:.{digits}g}"


def pct(value: Any) -> str:
    """An accuracy fraction as a percentage with two decimals."""
    v = _num(value)
    return DASH if v is None else f"{100 * v:.2f} %"


def seconds(value: Any) -> str:
    v = _num(value)
    if v is None:
        return DASH
    return f"{v:.2f} s" if v < 10 else f"{v:.1f} s" if v < 120 else f"{v / 60:.1f} min"


def gap(value: Any) -> str:
    v = _num(value)
    return DASH if v is None else f"{v:.2e}" if v and abs(v) < 1e-3 else f"{v:.4f}"


def gap_cell(m: Mapping[str, Any]) -> str:
    """The optimality gap; at least this much when the reference stopped short of the optimum
    or no optimum is attained (its loss then bounds the infimum from above)."""
    text = gap(m.get("optimality_gap"))
    ref = m.get("reference") or {}
    unattained = ref.get("attained") is False and not ref.get("separable")  # separable: inf 0
    above = ref.get("converged") is False or unattained
    return f"≥ {text}" if above and text != DASH else text


# --- table cells ------------------------------------------------------------------------------


def train_cell(cfg: VariantConfig, m: Mapping[str, Any]) -> str:
    train = m.get("train") or {}
    cells = [fmt(train.get("loss"))]
    if cfg.task == "classification":
        cells.append(pct(train.get("accuracy")))
    elif _num(m.get("r2")) is not None:
        cells.append(f"R² {fmt(m['r2'], 3)}")
    return " · ".join(cells)


def test_cell(cfg: VariantConfig, m: Mapping[str, Any]) -> str:
    test = m.get("test")
    if not test:
        return "no split"
    if cfg.task == "classification":
        return pct(test.get("accuracy"))
    return f"MSE {fmt(test.get('mse', test.get('loss')))}"


def reference_cell(cfg: VariantConfig, m: Mapping[str, Any]) -> str:
    """The exact optimum (convex variants) or the reference's baseline (MLPs)."""
    ref = m.get("reference") or {}
    if not ref:
        return DASH
    method = f"; {ref['method']}" if ref.get("method") else ""
    if ref.get("separable"):
        return f"0, not attained (separable{method})"
    parts = [fmt(ref.get("train_loss"))]
    if cfg.task == "classification" and ref.get("train_accuracy") is not None:
        parts.append(pct(ref.get("train_accuracy")))
    if ref.get("kind") == "baseline" or not cfg.is_convex:
        prefix = "baseline "
    elif ref.get("converged") is False or ref.get("attained") is False:
        prefix = "≤ "  # the loss reached bounds the infimum from above
        if ref.get("converged") is False:
            method += f", stopped after {ref.get('iterations')} iterations"
        if ref.get("attained") is False:
            features = ref.get("recession_features")
            method += f"; not attained, no minimiser: {features} features prove it"
    else:
        prefix = ""
    return f"{prefix}{' · '.join(parts)}" + (f" ({method[2:]})" if method else "")


def published_cell(entry: Published | None) -> str:
    if entry is None:
        return DASH
    text = entry.published + (" †" if entry.source == "typical" else "")
    return text + (f" ({entry.correction})" if entry.correction else "")


def results_table(
    variants: Mapping[str, VariantConfig],
    metrics: Mapping[str, Mapping[str, Any]],
    lessons: LessonsFile,
) -> list[str]:
    head = [
        "variant",
        "lesson",
        "train loss · acc.",
        "test acc. / MSE",
        "published (lesson)",
        "reference optimum",
        "gap",
        "train time",
        "device",
    ]
    lines = header(head)
    for key, cfg in variants.items():
        m, entry = metrics[key], lessons.variants.get(key)
        lines.append(
            row(
                [
                    f"[{key}](#{key})",
                    entry.lesson if entry else DASH,
                    train_cell(cfg, m),
                    test_cell(cfg, m),
                    published_cell(entry),
                    reference_cell(cfg, m),
                    gap_cell(m),
                    seconds(m.get("train_seconds")),
                    str(m.get("device", DASH)),
                ]
            )
        )
    return lines


def details_table(
    variants: Mapping[str, VariantConfig],
    metrics: Mapping[str, Mapping[str, Any]],
    lessons: LessonsFile,
) -> list[str]:
    """Point predictions and parameters the lessons print, ours next to theirs."""
    lines = header(["variant", "quantity", "ours", "lesson"])
    for key, cfg in variants.items():
        m = metrics[key]
        entry = lessons.variants.get(key)
        theirs = entry.values if entry else {}
        what = "P(y = 1)" if cfg.task == "classification" else "prediction"
        before = m.get("query_initial") or {}
        for name, value in (m.get("query") or {}).items():
            if name in before:
                lesson = fmt(theirs.get(f"query_initial.{name}"))
                lines.append(
                    row([key, f"{what} at {name}, before training", fmt(before[name]), lesson])
                )
            lines.append(
                row([key, f"{what} at {name}", fmt(value), fmt(theirs.get(f"query.{name}"))])
            )
        if _num(m.get("threshold_x")) is not None:
            lines.append(row([key, "decision boundary x (P = 0.5)", fmt(m["threshold_x"]), DASH]))
        if m.get("true_weight") is not None:
            lines.append(
                row(
                    [
                        key,
                        "weight (true weight)",
                        f"{fmt(m.get('weight'))} ({fmt(m['true_weight'])})",
                        DASH,
                    ]
                )
            )
    return lines if len(lines) > 2 else []


def figure_section(figures: list[FigureLink]) -> list[str]:
    lines: list[str] = []
    owner = None
    for fig in figures:
        if fig.owner != owner:
            owner = fig.owner
            lines += ["", f"### {'Lesson illustrations' if owner == LESSON_FIGURES else owner}"]
        lines += ["", f"![{fig.owner}: {fig.caption}]({fig.path})"]
    return lines


def build_report(
    variants: Mapping[str, VariantConfig],
    metrics: Mapping[str, Mapping[str, Any]],
    lessons: LessonsFile,
    figures: list[FigureLink],
    histories: Mapping[str, Mapping[int, float]] | None = None,
    sweeps: Mapping[str, SeedSweep] | None = None,
    step_histories: Mapping[str, Mapping[int, Mapping[int, float]]] | None = None,
) -> str:
    """The whole report.md; ``histories`` (epoch -> training loss) of the variants whose lesson
    printed losses during training; ``sweeps``: each variant's seed sweep; ``step_histories``
    (epoch -> step -> loss) of those whose lesson printed single-batch losses."""
    typical = any(e.source == "typical" for e in lessons.variants.values())
    lines = [
        "# lrlab results",
        "",
        "Generated by `python -m stages.report` from `metrics/*.json` and `lessons.yaml`; "
        "do not edit by hand.",
        "",
        "## Every variant",
        "",
        *results_table(variants, metrics, lessons),
        "",
        "Loss is the variant's own objective on the training data after the last epoch. "
        "*Reference optimum*: the exact minimum of the same objective on the same data "
        "(training loss · accuracy, solver); for the non-convex MLPs a *baseline* instead. "
        "*Gap*: training loss minus the optimum."
        + (" † not printed by the lesson: the usual result of this setup." if typical else ""),
    ]
    details = details_table(variants, metrics, lessons)
    if details:
        lines += ["", "## Point predictions and parameters", "", *details]
    printed = printed_losses_table(lessons, histories or {})
    if printed:
        lines += ["", "## Training losses the lessons printed", "", *printed]
    steps = step_losses_table(lessons, step_histories or {})
    if steps:
        lines += [
            "",
            "Single-batch losses (the lesson prints every 100th batch's): which images a batch "
            "holds depends on the shuffle, and lrlab's is its own, so these compare in scale "
            "and trend, not digit for digit.",
            "",
            *steps,
        ]
    spread = seed_section(variants, metrics, sweeps or {}, lessons)
    if spread:
        lines += ["", "## The lessons' numbers among seeds", "", *spread]
    deviations = [(k, e.deviation) for k, e in lessons.variants.items() if e.deviation]
    if deviations:
        lines += ["", "## Where lrlab differs from the lesson, on purpose", ""]
        lines += [f"- **{key}**: {text}" for key, text in deviations if key in variants]
    lines += ["", "## Lessons", ""]
    lines += [f"- **{i}** `{lesson.file}`: {lesson.topic}" for i, lesson in lessons.lessons.items()]
    lines += ["", "## Figures", *figure_section(figures)]
    return "\n".join(lines) + "\n"
