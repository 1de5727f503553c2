"""Time `lrlab predict` on a table model: its start-up against torch's import, and 10,000 rows.

    python benchmarks/predict_speed.py                       # breast_cancer_torch's model
    python benchmarks/predict_speed.py --variant iris_softmax --rows 10000 --repeat 7

Writes two CSV files of new rows in a temporary folder, drawn from the model's own input
recipe (numbers around its scaling constants, the known levels of its categorical columns),
one row and ``--rows`` rows. Then, in fresh processes, each ``--repeat`` times, it times:
`python -c "import torch"` (the floor: predict needs torch), `lrlab predict` on the one-row
file (the start: interpreter, imports, model file, one prediction) and on the big file. The
medians give the start beyond torch's import and the rows' cost beyond the start. Timings
compare only within one run on one machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

REPO = Path(__file__).resolve().parents[1]


def new_rows(inputs: dict, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mean = inputs["mean"] or [0.0] * len(inputs["columns"])
    std = inputs["std"] or [1.0] * len(inputs["columns"])
    table, at = {}, 0
    for column in inputs["columns"]:
        levels = inputs["categories"].get(column)
        if levels:
            table[column] = rng.choice(levels, n)
            at += len(levels)
        else:
            table[column] = np.round(rng.normal(mean[at], std[at], n), 4)
            at += 1
    return pd.DataFrame(table)


def median_seconds(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=REPO, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="breast_cancer_torch")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    model = REPO / "models" / f"{args.variant}.pt"
    inputs = torch.load(model, weights_only=True)["inputs"]
    if inputs["kind"] != "table":
        sys.exit(f"{args.variant} is an image model; give a table variant")
    lrlab = [str(Path(sys.executable).parent / "lrlab"), "predict", args.variant]
    with tempfile.TemporaryDirectory() as tmp:
        one, many = Path(tmp) / "one.csv", Path(tmp) / "many.csv"
        new_rows(inputs, 1).to_csv(one, index=False)
        new_rows(inputs, args.rows).to_csv(many, index=False)
        floor = median_seconds([sys.executable, "-c", "import torch"], args.repeat)
        start = median_seconds(
            [*lrlab, "--input", str(one), "--output", f"{tmp}/o1.csv"], args.repeat
        )
        big = median_seconds(
            [*lrlab, "--input", str(many), "--output", f"{tmp}/o2.csv"], args.repeat
        )
    print(f"| {args.variant}, median of {args.repeat} | seconds |")
    print("|---|---:|")
    print(f"| `python -c 'import torch'` | {floor:.3f} |")
    print(f"| `lrlab predict`, 1 row | {start:.3f} |")
    print(f"| `lrlab predict`, {args.rows:,} rows | {big:.3f} |")
    print(f"| start beyond torch's import | {start - floor:.3f} |")
    print(f"| {args.rows:,} rows beyond the start | {big - start:.3f} |")


if __name__ == "__main__":
    main()
