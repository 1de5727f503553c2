"""Multi-seed statistics from DVC experiments.

A seed sweep is a set of experiments that differ from each other only in ``seed`` and in the
variant's ``seed_offset``. :func:`runs_of` turns the JSON of ``dvc exp show --json`` into one
record per run (workspace, baseline commits and experiments); :func:`seed_runs` keeps those
of one variant's configuration, one per distinct seed; :func:`summarize` gives mean and
sample standard deviation of a metric across them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrlab import layout


@dataclass(frozen=True)
class Run:
    """One row of ``dvc exp show``: its name, params.yaml and metrics files."""

    name: str
    params: dict[str, Any]
    metrics: dict[str, Any]


def _run(entry: dict[str, Any], fallback: str) -> Run | None:
    data = entry.get("data") or {}
    params = ((data.get("params") or {}).get("params.yaml") or {}).get("data") or {}
    metrics = {
        path: (blob or {}).get("data")
        for path, blob in (data.get("metrics") or {}).items()
        if isinstance((blob or {}).get("data"), dict)
    }
    if not params:
        return None
    return Run(entry.get("name") or fallback, params, metrics)


def _short(rev: Any) -> str:
    text = str(rev or "?")
    return text[:7] if len(text) == 40 else text


def runs_of(exp_show: list[dict[str, Any]]) -> list[Run]:
    """Every run in ``dvc exp show --json`` output that has params (failed ones have none)."""
    runs: list[Run] = []
    for top in exp_show:
        found = _run(top, _short(top.get("rev")))
        if found is not None:
            runs.append(found)
        for experiment in top.get("experiments") or []:
            for rev in experiment.get("revs") or []:
                found = _run(rev, _short(rev.get("rev")))
                if found is not None:
                    runs.append(found)
    return runs


def _without_seed(variant: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in variant.items() if k != "seed_offset"}


def seed_of(run: Run, variant: str) -> int:
    """The seed the variant trained with: ``seed + seed_offset``."""
    offset = run.params["variants"][variant].get("seed_offset", 0)
    return int(run.params["seed"]) + int(offset)


def seed_runs(runs: list[Run], variant: str, like: Run) -> list[Run]:
    """Runs of ``variant`` with the same configuration as ``like`` but for the seed, one per
    distinct seed (the first seen wins)."""
    target = _without_seed(like.params["variants"][variant])
    chosen: dict[int, Run] = {}
    for run in runs:
        config = run.params.get("variants", {}).get(variant)
        path = layout.relative(".", layout.metrics_file(".", variant))
        if config is None or path not in run.metrics or _without_seed(config) != target:
            continue
        chosen.setdefault(seed_of(run, variant), run)
    return [chosen[s] for s in sorted(chosen)]


def metric_value(metrics: dict[str, Any], dotted: str) -> float | None:
    """``metrics["test"]["accuracy"]`` for ``"test.accuracy"``; None when absent."""
    node: Any = metrics
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def summarize(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
