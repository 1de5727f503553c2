"""Mean ± std of a variant's metrics over a seed sweep of DVC experiments.

    dvc exp run --queue -S 'variants.fashion_softmax.seed_offset=1,2,3,4'
    dvc queue start -j 1          # wait until `dvc queue status` shows them done
    python -m stages.seed_stats fashion_softmax --metric test.accuracy train.loss

Reads ``dvc exp show --json`` (or a saved copy with ``--json FILE``) and takes the workspace,
the baseline commit and every experiment whose ``variants.<variant>`` equals the baseline's
but for ``seed_offset`` (or whose top-level ``seed`` differs), one run per distinct seed.
Not a pipeline stage: a tool to read experiments.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from lrlab import layout
from lrlab.errors import LrlabError
from lrlab.seeds import Run, metric_value, runs_of, seed_of, seed_runs, summarize
from stages._cli import run


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stages.seed_stats", description=__doc__)
    parser.add_argument("variant", help="a key under `variants:` in params.yaml")
    parser.add_argument("--metric", nargs="+", default=["test.accuracy"], help="dotted keys")
    parser.add_argument("--json", type=Path, help="saved `dvc exp show --json` output")
    parser.add_argument("--repo", type=Path, default=Path("."), help="repository root")
    return parser.parse_args(argv)


def exp_show(repo: Path) -> list[dict]:
    try:
        done = subprocess.run(
            ["dvc", "exp", "show", "--json"], cwd=repo, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise LrlabError(f"`dvc exp show --json` failed in {repo}: {detail.strip()}") from None
    return json.loads(done.stdout)


def baseline(runs: list[Run], variant: str) -> Run:
    for candidate in runs:
        if variant in candidate.params.get("variants", {}):
            return candidate
    raise LrlabError(
        f"no run has a variant '{variant}'. Check the name against `variants:` in params.yaml."
    )


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    data = json.loads(args.json.read_text()) if args.json else exp_show(args.repo)
    runs = runs_of(data)
    rel = layout.relative(".", layout.metrics_file(".", args.variant))
    chosen = seed_runs(runs, args.variant, baseline(runs, args.variant))
    if not chosen:
        raise LrlabError(f"no experiment holds {rel}; run the sweep first.")
    header = "| run | seed | " + " | ".join(args.metric) + " |"
    print(header + "\n|" + "---|" * (2 + len(args.metric)))
    columns: dict[str, list[float]] = {m: [] for m in args.metric}
    for r in chosen:
        cells = []
        for m in args.metric:
            value = metric_value(r.metrics[rel], m)
            cells.append("—" if value is None else f"{value:.6g}")
            if value is not None:
                columns[m].append(value)
        print(f"| {r.name} | {seed_of(r, args.variant)} | " + " | ".join(cells) + " |")
    print(f"\n{args.variant} over {len(chosen)} seeds (mean ± sample std):")
    for m, values in columns.items():
        if values:
            mean, std = summarize(values)
            print(f"  {m}: {mean:.6g} ± {std:.2g}  (n = {len(values)})")


if __name__ == "__main__":
    run(main)
