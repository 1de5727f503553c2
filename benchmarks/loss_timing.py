"""Lesson 002's timing of its hand-written loss against the built-in one, in one run.

    python benchmarks/loss_timing.py [--rounds 7]

The lesson times 1000 full-batch SGD steps of logistic regression on the 100 exam scores twice:
once with its own clamped binary cross-entropy on sigmoid outputs (published 0.248 s) and once
with `nn.BCEWithLogitsLoss` on logits (published 0.527 s), each step also computing the
accuracy as the notebook does. This script runs both loops as the notebook writes them, on
`data/prepared/exam-scores.npz` (`dvc repro prepare@exam-scores`), alternating in rounds so a
busy machine slows both alike, and prints the median microseconds per step of each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lrlab.base import layout  # noqa: E402
from lrlab.core.prepared import load_prepared  # noqa: E402
from lrlab.train.losses import get_loss  # noqa: E402

STEPS = 1000


def loop(x: torch.Tensor, y: torch.Tensor, loss_name: str) -> float:
    """Seconds for the notebook's 1000 steps with ``loss_name`` (its own loss: probabilities
    and a 0.5 threshold; the built-in one: logits)."""
    torch.manual_seed(2017)
    w = torch.nn.Parameter(torch.randn(2, 1))
    b = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([w, b], lr=1.0)
    loss_fn = get_loss(loss_name)
    sigmoid = loss_name == "bce_clamped"
    start = time.perf_counter()
    for _ in range(STEPS):
        z = torch.mm(x, w) + b
        y_pred = torch.sigmoid(z) if sigmoid else z
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        mask = y_pred.ge(0.5).float()
        (mask == y).sum().item()  # the notebook's accuracy, once per step
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    data = load_prepared(layout.prepared_file(REPO, "exam-scores"), "prepare@exam-scores")
    x = torch.from_numpy(data.x_train).float()
    y = torch.from_numpy(data.y_train).float().reshape(-1, 1)
    torch.set_num_threads(1)
    names = {"bce_clamped": "hand-written (lesson: 0.248 s)", "bce_logits": "built-in (0.527 s)"}
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        loop(x, y, name)  # warm-up
    for _ in range(args.rounds):
        for name in names:
            times[name].append(loop(x, y, name))
    print(f"median of {args.rounds} rounds of {STEPS} steps, 1 thread, torch {torch.__version__}")
    print("\n| loss | s per 1000 steps | µs per step |\n|---|---:|---:|")
    for name, label in names.items():
        median = statistics.median(times[name])
        print(f"| `{name}` {label} | {median:.3f} | {1e6 * median / STEPS:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
