"""The report's tables of the training losses the lessons printed, beside this run's.

Lesson 002 prints its full-batch loss every 200 epochs: the same run reproduces it digit for
digit (:func:`printed_losses_table`). Lesson 001 prints the loss of every 100th mini-batch:
which 64 images a batch holds depends on the shuffle, which is lrlab's own, so those numbers
compare in scale, not digit for digit (:func:`step_losses_table`).
"""

from __future__ import annotations

from collections.abc import Mapping

from lrlab.report.lessons import LessonsFile
from lrlab.report.markdown import DASH, header, row


def printed_losses_table(
    lessons: LessonsFile, histories: Mapping[str, Mapping[int, float]]
) -> list[str]:
    """Each training loss a lesson printed beside this run's at the same epoch, rounded to the
    digits the lesson printed; a variant whose every printed loss matches is "reproduced
    exactly"."""
    lines = header(["variant", "epoch", "lesson printed", "this run", "verdict"])
    for key, entry in lessons.variants.items():
        ours = histories.get(key)
        if not entry.printed_losses or ours is None:
            continue
        rows = []
        for epoch, printed in entry.printed_losses.items():
            digits = len(printed.partition(".")[2])
            mine = f"{ours[epoch]:.{digits}f}" if epoch in ours else DASH
            rows.append([key, str(epoch), printed, mine, mine == printed])
        matches = sum(r[4] for r in rows)
        verdict = "reproduced exactly" if matches == len(rows) else f"{matches} of {len(rows)}"
        for i, r in enumerate(rows):
            lines.append(row([*r[:4], verdict if i == 0 else ""]))
    return lines if len(lines) > 2 else []


def _mean(values: list[float]) -> str:
    return f"{sum(values) / len(values):.4f}" if values else DASH


def step_losses_table(
    lessons: LessonsFile, histories: Mapping[str, Mapping[int, Mapping[int, float]]]
) -> list[str]:
    """Per epoch, the single-batch losses a lesson printed and this run's at the same steps
    (``histories``: variant -> epoch -> step -> loss), with each side's mean."""
    lines = header(["variant", "epoch", "steps", "lesson printed", "this run", "means"])
    for key, entry in lessons.variants.items():
        ours = histories.get(key)
        if not entry.printed_step_losses or ours is None:
            continue
        for epoch, printed in entry.printed_step_losses.items():
            mine = ours.get(epoch, {})
            steps = list(printed)
            values = [mine[s] for s in steps if s in mine]
            theirs = [float(v) for v in printed.values()]
            lines.append(
                row(
                    [
                        key,
                        str(epoch),
                        f"{steps[0]}–{steps[-1]}" if len(steps) > 1 else str(steps[0]),
                        " ".join(printed.values()),
                        " ".join(f"{mine[s]:.4f}" if s in mine else DASH for s in steps),
                        f"{_mean(theirs)} vs {_mean(values)}",
                    ]
                )
            )
    return lines if len(lines) > 2 else []
