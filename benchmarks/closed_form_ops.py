"""The floor of each operation of the closed-form step, timed in isolation.

    python benchmarks/closed_form_ops.py                 # fashion_softmax, CPU, markdown table
    python benchmarks/closed_form_ops.py --variant fashion_softmax --threads 2

For one batch of the variant (its batch size, rows of its prepared training data), each
operation of :class:`lrlab.train.closed_form.ClosedFormStep` (plain SGD) and of the loop
around it is repeated on fixed inputs, and the table gives its median microseconds per call,
next to the whole step and the two matrix products alone (column (d) of
benchmarks/train_speed.py). Needs the variant's prepared data. Not a test: timings depend on
the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lrlab.base import layout  # noqa: E402
from lrlab.core.config import ParamsFile  # noqa: E402
from lrlab.core.prepared import load_prepared  # noqa: E402
from lrlab.train.loss_gradients import negated_reduce  # noqa: E402
from lrlab.train.models import build_model  # noqa: E402
from lrlab.train.steps import make_step  # noqa: E402


def micros(call: Callable[[], object], repeat: int, rounds: int = 5) -> float:
    """Median over ``rounds`` of the mean microseconds of ``repeat`` calls, after a warm-up."""
    for _ in range(repeat // 10):
        call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            call()
        times.append((time.perf_counter() - start) / repeat * 1e6)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", default="fashion_softmax")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    variant = ParamsFile(REPO / "params.yaml").variant(args.variant)
    data = load_prepared(layout.prepared_file(REPO, variant.dataset)).map(torch.from_numpy)
    x_all, labels_all = data.x_train, data.y_train.long()
    model = build_model(variant.model, torch.Generator().manual_seed(0))
    step = make_step(model, variant.loss, variant.optimizer)
    w, b, b_col = step.weight, step.bias, step.bias_column
    rows = variant.batch_size
    index = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(0))[:rows]
    x, labels = x_all.index_select(0, index), labels_all.index_select(0, index)
    z = torch.addmm(b_col, w, x.t()).t()
    log_p = torch.log_softmax(z.t(), 0)
    picked = labels.unsqueeze(0)
    dz_t = log_p.exp().scatter_(0, picked, -1.0, reduce="add")
    grad_w, grad_b, ones = torch.empty_like(w), torch.empty_like(b), torch.ones(rows)
    tiny = 1e-30  # the updates leave the weights as they are
    ops = {
        "rows of x (index_select)": lambda: x_all.index_select(0, index),
        "labels (index_select)": lambda: labels_all.index_select(0, index),
        "scores (W xᵀ + b)ᵀ: addmm": lambda: torch.addmm(b_col, w, x.t()),
        "log_softmax": lambda: torch.log_softmax(z.t(), 0),
        "loss: gather, dot with -1/B": lambda: negated_reduce(log_p.gather(0, picked), "mean"),
        "derivative: exp, scatter_ -1": lambda: log_p.exp().scatter_(0, picked, -1.0, reduce="add"),
        "weight gradient dzᵀ x: addmm out=": lambda: torch.addmm(
            grad_w, dz_t, x, beta=0, alpha=1 / rows, out=grad_w
        ),
        "bias gradient dzᵀ 1: addmv out=": lambda: torch.addmv(
            grad_b, dz_t, ones, beta=0, alpha=1 / rows, out=grad_b
        ),
        "update W, b: 2 add_": lambda: (w.add_(grad_w, alpha=-tiny), b.add_(grad_b, alpha=-tiny)),
        "loop: 2 appends, step call": lambda: ([].append(z), [].append(z)),
    }
    scores_out = torch.empty(len(w), rows)
    products = {
        "scores W xᵀ: mm out=": lambda: torch.mm(w, x.t(), out=scores_out),
        "gradient Pᵀ x: mm out=": lambda: torch.mm(dz_t, x, out=grad_w),
    }
    whole = {
        "whole step (ClosedFormStep)": lambda: step(x, labels),
        "whole step with its batch gather": lambda: step(
            x_all.index_select(0, index), labels_all.index_select(0, index)
        ),
        "(d) the two matrix products": lambda: (
            torch.mm(w, x.t(), out=scores_out),
            torch.mm(dz_t, x, out=grad_w),
        ),
    }
    print(
        f"\n{args.variant}: batch of {rows} rows, {args.threads} threads, "
        f"torch {torch.__version__}\n"
    )
    print("| operation | µs per call |")
    print("|---|---|")
    total = 0.0
    for name, call in ops.items():
        value = micros(call, args.repeat)
        total += value
        print(f"| {name} | {value:.1f} |")
    print(f"| **sum of the operations** | **{total:.1f}** |")
    for name, call in {**products, **whole}.items():
        print(f"| {name} | {micros(call, args.repeat):.1f} |")
    # the alternative to a gather per batch: the epoch's rows gathered once, then sliced
    order = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(1))
    steps = -(-len(x_all) // rows)
    once = micros(lambda: x_all.index_select(0, order), max(3, args.repeat // 200)) / steps
    print(f"| the epoch's rows gathered at once (index_select of all), per step | {once:.1f} |")


if __name__ == "__main__":
    main()
