"""The report's seed section: each variant's headline numbers over its seed sweep, with the
lesson's published value and lrlab's own seed placed among them, in words.

Pure: takes the variant configs, their metrics, their sweeps (``seeds/<variant>.json``) and
``lessons.yaml``; returns Markdown lines. The quantities shown are the ones the lesson
published (``values`` in lessons.yaml), else the test accuracy, else the training loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrlab.core.config import VariantConfig
from lrlab.core.model_kinds import KINDS
from lrlab.report.lessons import LessonsFile, Published
from lrlab.report.markdown import DASH, header, row
from lrlab.report.seeds import SeedSweep, metric_value, percentile_of, quantiles

TAIL = 10.0  # a value below the 10th or above the 90th percentile is called a lucky/unlucky draw


def headline_keys(sweep: SeedSweep, entry: Published | None) -> list[str]:
    """What to show: the lesson's published quantities the sweep has, else a default."""
    published = [k for k in (entry.values if entry else {}) if k in sweep.values]
    if published:
        return published
    return [k for k in ("test.accuracy", "train.loss") if k in sweep.values][:1]


def ordinal(p: float) -> str:
    n = round(p)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def better(key: str) -> int:
    """+1 where higher is better (accuracy), -1 where lower is (losses), 0 for predictions."""
    name = key.rsplit(".", 1)[-1]
    return 1 if name == "accuracy" else -1 if name in ("loss", "mse") else 0


def placement(key: str, value: float, values: list[float]) -> str:
    """``"a lucky draw: 6th percentile"`` and the like."""
    lo, hi, n = min(values), max(values), len(values)
    if lo == hi:
        return "every seed gives the same" if value == lo else f"every seed gives {lo:.4g}"
    if value < lo or value > hi:
        side = "below" if value < lo else "above"
        return f"{side} all {n} seeds: not a matter of the seed alone"
    p = percentile_of(value, values)
    direction = better(key) * (1 if p > 50 else -1)
    if TAIL <= p <= 100 - TAIL:
        return f"a typical draw: {ordinal(p)} percentile"
    word = {1: "a lucky draw", -1: "an unlucky draw", 0: "a high draw" if p > 50 else "a low draw"}
    return f"{word[direction]}: {ordinal(p)} percentile"


def spread_rows(
    key: str,
    metrics: Mapping[str, Any],
    sweep: SeedSweep,
    entry: Published | None,
) -> list[str]:
    rows = []
    for name in headline_keys(sweep, entry):
        values = [v for v in sweep.values[name] if v is not None]
        if not values:
            continue
        q = quantiles(values)
        words = []
        theirs = entry.values.get(name) if entry else None
        if theirs is not None:
            typical = entry is not None and entry.source == "typical"
            who = "the usual result †" if typical else "the lesson's"
            words.append(f"{who} {theirs:.4g} is {placement(name, theirs, values)}")
        ours = metric_value(metrics, name)
        if ours is not None:
            seed = metrics.get("seed", "?")
            words.append(f"lrlab's seed ({seed}) gives {ours:.4g}, {placement(name, ours, values)}")
        diverged = f" ({sweep.diverged} diverged, left out)" if sweep.diverged else ""
        rows.append(
            row(
                [
                    f"[{key}](#{key})",
                    name,
                    f"{len(values)}{diverged}",
                    *(f"{q[s]:.4g}" for s in ("min", "p5", "median", "p95", "max")),
                    "; ".join(words) or DASH,
                ]
            )
        )
    return rows


def why_no_sweep(cfg: VariantConfig) -> str:
    if KINDS[cfg.model.kind].trainer == "numpy":
        return "no seed enters its training (it starts from zeros and takes full-batch steps)"
    if cfg.batch_size != "full":
        return "mini-batch and longer: sweep it with queued experiments (README, 'Several seeds')"
    return "`seed_sweep: 0` in params.yaml"


def seed_section(
    variants: Mapping[str, VariantConfig],
    metrics: Mapping[str, Mapping[str, Any]],
    sweeps: Mapping[str, SeedSweep],
    lessons: LessonsFile,
) -> list[str]:
    """The section's table and a note per variant without a sweep; empty if none has one."""
    head = ["variant", "quantity", "seeds", "min", "p5", "median", "p95", "max", "in words"]
    rows, unswept = [], []
    for key, cfg in variants.items():
        sweep = sweeps.get(key)
        if sweep is None or not sweep.seeds:
            unswept.append(f"- **{key}**: {why_no_sweep(cfg)}.")
            continue
        rows += spread_rows(key, metrics[key], sweep, lessons.variants.get(key))
    if not rows:
        return []
    first = min(min(s.seeds) for s in sweeps.values() if s.seeds)
    last = max(max(s.seeds) for s in sweeps.values() if s.seeds)
    intro = (
        f"Each variant with `seed_sweep: N` is also trained from the initial weights of seeds "
        f"{first}–{last} (the data and its split stay those of `seed`). The lesson's number "
        f"and this run's are placed among those results: below the {TAIL:.0f}th or above the "
        f"{100 - TAIL:.0f}th percentile is called a lucky or unlucky draw (by whether higher "
        "is better there), in between a typical one."
    )
    return [intro, "", *header(head), *rows, "", *unswept]
