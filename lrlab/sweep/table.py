"""The table a sweep ends with: one row per configuration, its swept values, how it ended
and each swept variant's headline metric (the test accuracy, else the training loss), like
``dvc exp show --only-changed``."""

from __future__ import annotations

from lrlab.report.markdown import DASH, header, row
from lrlab.sweep.task import Outcome

HEADLINES = ("test.accuracy", "train.loss")


def headline(metrics: dict[str, object]) -> tuple[str, object] | None:
    for key in HEADLINES:
        node: object = metrics
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, int | float):
            return key, node
    return None


def lines(
    outcomes: list[Outcome],
    overrides: dict[int, tuple[str, ...]],
    keys: list[str],
    variants: list[str],
) -> list[str]:
    """Markdown rows: Experiment, Status, each key of ``keys``, each variant's headline."""
    metric_columns: list[tuple[str, str]] = []
    for variant in variants:
        found = [headline(o.metrics.get(variant, {})) for o in outcomes]
        key = next((f[0] for f in found if f), None)
        if key:
            metric_columns.append((variant, key))
    cells = ["Experiment", "Status", *keys, *(f"{v} {k}" for v, k in metric_columns)]
    out = header(cells)
    for outcome in outcomes:
        values = dict(o.split("=", 1) for o in overrides[outcome.index])
        shown = []
        for variant, key in metric_columns:
            found = headline(outcome.metrics.get(variant, {}))
            shown.append(f"{found[1]:.4g}" if found and found[0] == key else DASH)
        status = outcome.status + (f": {outcome.error}" if outcome.error else "")
        out.append(row([outcome.name, status, *(values.get(k, DASH) for k in keys), *shown]))
    return out
