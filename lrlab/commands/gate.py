"""Fail when metrics got worse than at a git revision, beyond the tolerances in the rules file.

    lrlab gate [--rev HEAD] [--md summary.md] [--rules metrics_rules.yaml]
               [--metrics-dir metrics] [--repo .]

Compares the workspace's metrics/*.json with those committed at a revision. `--rev` takes
any git revision (a commit, branch, tag, HEAD~1, a merge base) or the name of a DVC
experiment; `--md` also writes the comparison as Markdown, regressions first, for a
pull-request comment or a CI job summary ($GITHUB_STEP_SUMMARY).

Paths are relative to the repository root (--repo, default: the one holding the current
directory). Prints one row per metric, a summary line and, for each failure, a sentence; exits
1 when a gated metric is worse than its bound (rules in metrics_rules.yaml), a variant's
metrics file of the baseline is missing from the workspace, or a metrics file is malformed.
When the revision holds no metrics (or the repository has no commits), there is nothing to
compare and the gate passes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lrlab.base import layout


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rev", default="HEAD", help="baseline: a git revision or experiment name (HEAD)"
    )
    parser.add_argument(
        "--md",
        type=Path,
        metavar="FILE",
        help="also write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)",
    )
    parser.add_argument(
        "--rules",
        default="metrics_rules.yaml",
        metavar="FILE",
        help="rules file, relative to the repository",
    )
    parser.add_argument(
        "--metrics-dir",
        default=layout.METRICS,
        metavar="DIR",
        help="metrics directory, relative to the repo",
    )
    parser.add_argument(
        "--repo", default=".", metavar="DIR", help="repository (default: current directory)"
    )


def run(args: argparse.Namespace) -> None:
    from lrlab import gate_repo  # numpy, pandas: not for `lrlab --help` or the other commands

    gate_repo.check(Path(args.repo), args.rev, args.rules, args.metrics_dir, args.md)
