"""Where each `train@<variant>` stage's time goes: Python's start, the imports (torch,
matplotlib), loading and binding the data, training, the seed sweep, the evaluation, the
figures, and the rest (writing the outputs, the exit).

    python benchmarks/train_phases.py          # a clean clone of HEAD, reproduced first
    python benchmarks/train_phases.py bd8c4c6  # another revision

In a clean clone of the revision (beside the repository, as benchmarks/clean_repro.py makes
it, `dvc repro` run first so every input exists), each variant's stage runs once more as
dvc.yaml runs it (`python -m stages.train <variant> --evaluate`, a fresh process), with the
library functions of each phase wrapped in timers; nothing else changes and the same outputs
are written. The process's wall time is taken from outside. Prints a Markdown table, one row
per variant and a total; timings compare only within one run on one machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from clean_repro import clean_clone, sh  # noqa: E402

PHASES = ("start", "imports", "load", "train", "seed sweep", "evaluate", "figures", "rest")
RUNNER = r"""
import json, sys, time
began = time.time()
from lrlab.base import entrypoint
entrypoint._process_ends_with_main = True  # as `python -m stages.train` runs: gc frozen
with entrypoint.heavy_imports():
    import lrlab.train.evaluate_variant as evaluating
    import lrlab.train.train_variant as training
seconds = {"imports": time.time() - began}

def timed(module, name, phase):
    inner = getattr(module, name)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - start
    setattr(module, name, wrapper)

timed(training, "load_bound", "load")
timed(training, "train_torch", "train")
timed(training, "train_with_numpy", "train")
timed(training, "sweep", "seed sweep")
timed(evaluating, "evaluate", "evaluate")
timed(evaluating, "variant_figures", "figures")
from stages import train
entrypoint.run(train.main, [sys.argv[1], "--evaluate"], exiting=True)
print("PHASES", json.dumps({"began": began, "ended": time.time(), **seconds}))
"""


def phases(clone: Path, variant: str) -> dict[str, float]:
    started = time.time()
    out = sh(clone, sys.executable, "-c", RUNNER, variant)
    ended = time.time()
    found = json.loads(out.split("PHASES ", 1)[1].splitlines()[0])
    seconds = {phase: found.get(phase, 0.0) for phase in PHASES[1:-1]}
    seconds["start"] = found["began"] - started
    seconds["rest"] = ended - started - sum(seconds.values())
    return {"process": ended - started, **seconds}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", nargs="?", default="HEAD", help="the git revision to time")
    args = parser.parse_args(argv)
    with clean_clone(args.rev, "lrlab-phases-") as (clone, _):
        sh(clone, sys.executable, "-m", "dvc", "repro")
        variants = yaml.safe_load((clone / "params.yaml").read_text())["variants"]
        rows = {variant: phases(clone, variant) for variant in variants}
    columns = ("process", *PHASES)
    print(f"| variant | {' | '.join(columns)} |")
    print(f"|---|{'---:|' * len(columns)}")
    for variant, row in rows.items():
        print(f"| {variant} | {' | '.join(f'{row[c]:.2f}' for c in columns)} |")
    total = {c: sum(row[c] for row in rows.values()) for c in columns}
    print(f"| **all {len(rows)}** | {' | '.join(f'**{total[c]:.1f}**' for c in columns)} |")


if __name__ == "__main__":
    main(sys.argv[1:])
