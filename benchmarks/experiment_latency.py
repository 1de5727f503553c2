"""How long an experiment takes beyond its training, measured in one run in a temporary clone.

    python benchmarks/experiment_latency.py            # HEAD, from the project's .venv
    python benchmarks/experiment_latency.py --rev main

The clone lies beside the repository (so a relative DATA_MIRROR such as ../shared/datasets
resolves as in the README) and shares this interpreter, so "after install" means with this
.venv. In order, it times:

  (e) `dvc repro` in the clean clone, the whole pipeline from nothing;
  (f) `dvc repro` again, with nothing to do;
  (a) `dvc exp run` with nothing changed: DVC's own floor for an experiment;
  (b) a one-variant experiment whose training takes under 0.1 s
      (`-S variants.linear_toy.epochs=60`);
  (d) setting that value back (`epochs=50`, already run): restored, no train or evaluate;
  (c) an lr experiment on fashion_softmax, total and total minus its `train_seconds`.

It prints a Markdown table with each time, its ratio to (a) and the issue's target, and the
stages each run started. Timings compare only within one run on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

from clean_repro import clean_clone, sh  # the same clone and subprocess helpers

RAN = re.compile(r"^Running stage '([^']+)'", re.MULTILINE)


def timed(cwd: Path, *args: str) -> tuple[float, list[str]]:
    """Seconds for ``python -m dvc args`` in ``cwd``, and the stages it ran."""
    started = time.perf_counter()
    log = sh(cwd, sys.executable, "-m", "dvc", *args)
    return time.perf_counter() - started, RAN.findall(log)


def train_seconds(clone: Path, variant: str) -> float:
    return float(json.loads((clone / "metrics" / f"{variant}.json").read_text())["train_seconds"])


def other_lr(clone: Path, variant: str) -> str:
    params = (clone / "params.yaml").read_text()
    block = params[params.index(f"\n  {variant}:") :]
    lr = float(re.search(r"\blr: ([0-9.e-]+)", block)[1])
    return f"{lr * 0.5:g}"


def ran(stages: list[str]) -> str:
    if not stages:
        return "none"
    return ", ".join(stages) if len(stages) <= 4 else f"{len(stages)} stages"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to measure")
    args = parser.parse_args(argv)
    with clean_clone(args.rev, "lrlab-latency-") as (clone, commit):
        rows = {}
        rows["e"] = timed(clone, "repro")
        rows["f"] = timed(clone, "repro")
        rows["a"] = timed(clone, "exp", "run")
        rows["b"] = timed(clone, "exp", "run", "-S", "variants.linear_toy.epochs=60")
        rows["d"] = timed(clone, "exp", "run", "-S", "variants.linear_toy.epochs=50")
        lr = other_lr(clone, "fashion_softmax")
        rows["c"] = timed(clone, "exp", "run", "-S", f"variants.fashion_softmax.optimizer.lr={lr}")
        fashion_train = train_seconds(clone, "fashion_softmax")

    floor = rows["a"][0]
    cases = [
        ("a", "`dvc exp run`, nothing changed (the floor)", rows["a"][0], ""),
        ("b", "one-variant experiment, `linear_toy.epochs=60`", rows["b"][0], "≤ 2.5"),
        ("c", f"fashion_softmax `lr={lr}`, total", rows["c"][0], ""),
        ("c'", "… minus its training seconds", rows["c"][0] - fashion_train, "≤ 3"),
        ("d", "setting `epochs` back to 50 (already run)", rows["d"][0], "≤ 1.5"),
        ("e", "`dvc repro`, clean clone", rows["e"][0], ""),
        ("f", "`dvc repro`, nothing to do", rows["f"][0], "< 3 s"),
    ]
    stages = {"c'": [], **{k: v[1] for k, v in rows.items()}}
    cpu = platform.processor() or platform.machine()
    print(f"revision {args.rev} ({commit}); {os.cpu_count()} cores ({cpu}); Python")
    print(f"{platform.python_version()}; fashion_softmax trained {fashion_train:.2f} s\n")
    print("| case | what | seconds | × (a) | target | stages run |")
    print("|---|---|---:|---:|---|---|")
    for key, what, seconds, target in cases:
        ratio = f"{seconds / floor:.2f}"
        print(f"| {key} | {what} | {seconds:.2f} | {ratio} | {target} | {ran(stages[key])} |")


if __name__ == "__main__":
    main(sys.argv[1:])
