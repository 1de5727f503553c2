"""Multi-seed statistics: of DVC experiments, and of the pipeline's own seed sweeps.

A queued seed sweep is a set of experiments that differ from each other only in ``seed`` and in the
variant's ``seed_offset``. :func:`runs_of` turns the JSON of ``dvc exp show --json`` into one
record per run (workspace, baseline commits and experiments); :func:`seed_runs` keeps those
of one variant's configuration, one per distinct seed; :func:`summarize` gives mean and
sample standard deviation of a metric across them; :func:`experiment_stats` tabulates them
for ``lrlab seeds``. A variant with ``seed_sweep: N`` records its numbers under N seeds in
``seeds/<variant>.json`` (:class:`SeedSweep`, read by :func:`read_seed_sweep`);
:func:`quantiles` and :func:`percentile_of` summarise them for the report. No torch here.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrlab.base import layout
from lrlab.base.errors import LrlabError
from lrlab.core.outputs import read_json_object


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
    """``metrics["test"]["accuracy"]`` for ``"test.accuracy"``; None when absent. A key may
    itself hold dots: ``"query.x=0.5"`` is ``metrics["query"]["x=0.5"]``."""
    node: Any = metrics
    rest = dotted
    while not (isinstance(node, dict) and rest in node):
        part, dot, rest = rest.partition(".")
        if not dot or not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    node = node[rest]
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def summarize(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


# --- a seed sweep of DVC experiments (``lrlab seeds``) -----------------------------------------


def exp_show(repo: Path) -> list[dict[str, Any]]:
    """The parsed output of ``dvc exp show --json`` in ``repo``."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dvc", "exp", "show", "--json"],  # its DVC, on PATH or not
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise LrlabError(f"`dvc exp show --json` failed in {repo}: {detail.strip()}") from None
    return json.loads(done.stdout)


def baseline(runs: list[Run], variant: str) -> Run:
    """The first run that has ``variant``, in ``dvc exp show`` order (the workspace first)."""
    for candidate in runs:
        if variant in candidate.params.get("variants", {}):
            return candidate
    raise LrlabError(
        f"no run has a variant '{variant}'. Check the name against `variants:` in params.yaml."
    )


def experiment_stats(variant: str, keys: list[str], repo: Path, saved: Path | None = None) -> str:
    """A Markdown table of ``variant``'s seed runs among the experiments of ``repo`` (or of a
    saved ``dvc exp show --json``), one column per dotted metric key, then each metric's
    mean ± sample std over them."""
    data = json.loads(saved.read_text()) if saved else exp_show(repo)
    runs = runs_of(data)
    rel = layout.relative(".", layout.metrics_file(".", variant))
    chosen = seed_runs(runs, variant, baseline(runs, variant))
    if not chosen:
        raise LrlabError(f"no experiment holds {rel}; run the sweep first.")
    lines = ["| run | seed | " + " | ".join(keys) + " |", "|" + "---|" * (2 + len(keys))]
    columns: dict[str, list[float]] = {m: [] for m in keys}
    for r in chosen:
        cells = []
        for m in keys:
            value = metric_value(r.metrics[rel], m)
            cells.append("—" if value is None else f"{value:.6g}")
            if value is not None:
                columns[m].append(value)
        lines.append(f"| {r.name} | {seed_of(r, variant)} | " + " | ".join(cells) + " |")
    lines.append(f"\n{variant} over {len(chosen)} seeds (mean ± sample std):")
    for m, values in columns.items():
        if values:
            mean, std = summarize(values)
            lines.append(f"  {m}: {mean:.6g} ± {std:.2g}  (n = {len(values)})")
    return "\n".join(lines)


# --- the pipeline's own seed sweep (``seed_sweep: N``; lrlab.train.seed_sweep) -------------


@dataclass(frozen=True)
class SeedSweep:
    """``seeds/<variant>.json``: the seeds trained and each flattened metric's value per seed
    (None where that run diverged)."""

    seeds: list[int]
    values: dict[str, list[float | None]]
    diverged: int


def parse_sweep(data: dict[str, Any]) -> SeedSweep:
    """The record, checked: every column has one value (a number or null) per seed."""
    seeds, values = data.get("seeds"), data.get("values")
    if not isinstance(seeds, list) or not all(isinstance(s, int) for s in seeds):
        raise ValueError("'seeds' must be a list of integers")
    if not isinstance(values, dict):
        raise ValueError("'values' must be an object of metric -> list")
    for key, column in values.items():
        ok = isinstance(column, list) and len(column) == len(seeds)
        if not ok or not all(v is None or isinstance(v, int | float) for v in column):
            raise ValueError(f"values[{key!r}] must hold one number (or null) per seed")
    diverged = data.get("diverged", 0)
    if not isinstance(diverged, int):
        raise ValueError("'diverged' must be an integer")
    return SeedSweep(list(seeds), dict(values), diverged)


def quantiles(values: list[float]) -> dict[str, float]:
    """min, p5, median, p95 and max (linear interpolation between order statistics)."""
    ordered = sorted(values)

    def at(q: float) -> float:
        pos = q * (len(ordered) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(ordered) - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)

    return {
        "min": ordered[0],
        "p5": at(0.05),
        "median": at(0.5),
        "p95": at(0.95),
        "max": ordered[-1],
    }


def percentile_of(value: float, values: list[float]) -> float:
    """Where ``value`` falls among ``values``, 0–100: the share below it, ties counted half."""
    below = sum(v < value for v in values)
    ties = sum(v == value for v in values)
    return 100.0 * (below + 0.5 * ties) / len(values)


def read_seed_sweep(root: Path, key: str) -> SeedSweep:
    """``seeds/<key>.json``: the variant's numbers under its seed sweep (possibly empty)."""
    path, stage = layout.seeds_file(root, key), f"train@{key}"
    try:
        return parse_sweep(read_json_object(path, root, stage))
    except ValueError as exc:
        rel = layout.relative(root, path)
        raise LrlabError(f"{rel}: {exc}. Rerun `dvc repro -s {stage}`.") from None
