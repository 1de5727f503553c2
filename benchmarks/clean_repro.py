"""Time `dvc repro` from a clean clone, for one or more git revisions, in one run.

    python benchmarks/clean_repro.py                 # HEAD
    python benchmarks/clean_repro.py bd8c4c6 HEAD    # before/after a change, same machine

Each revision is cloned into a temporary folder beside the repository (so a relative
DATA_MIRROR such as ../shared/datasets resolves the same way), then timed twice: the whole
pipeline from nothing, and a second, no-op `dvc repro`. The clones share this interpreter
(run it from the project's .venv); the revisions are timed in the order given, so repeat
them (`A B A B`) to see the noise. Prints a Markdown table; timings compare only within one
run on one machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sh(cwd: Path, *cmd: str) -> str:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.setdefault("DATA_MIRROR", str((REPO.parent / "shared" / "datasets").resolve()))
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def timed(cwd: Path, *cmd: str) -> tuple[float, str]:
    started = time.perf_counter()
    out = sh(cwd, *cmd)
    return time.perf_counter() - started, out


@contextmanager
def clean_clone(
    rev: str, prefix: str = "lrlab-clean-", source: Path = REPO
) -> Iterator[tuple[Path, str]]:
    """A clone of ``source`` at ``rev`` in a new folder beside the repository, and its short
    commit; the folder is removed on the way out."""
    clone = Path(tempfile.mkdtemp(prefix=prefix, dir=REPO.parent))
    try:
        sh(REPO.parent, "git", "clone", "-q", str(source), str(clone))
        sh(clone, "git", "checkout", "-q", rev)
        yield clone, sh(clone, "git", "rev-parse", "--short", "HEAD").strip()
    finally:
        shutil.rmtree(clone, ignore_errors=True)


def measure(rev: str) -> tuple[str, float, int, float]:
    with clean_clone(rev) as (clone, commit):
        full, log = timed(clone, sys.executable, "-m", "dvc", "repro")
        stages = log.count("Running stage")
        noop, _ = timed(clone, sys.executable, "-m", "dvc", "repro")
        return commit, full, stages, noop


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="*", default=["HEAD"], help="git revisions to time")
    args = parser.parse_args(argv)
    print("| revision | stages run | `dvc repro`, clean clone | no-op `dvc repro` |")
    print("|---|---:|---:|---:|")
    for rev in args.revs:
        commit, full, stages, noop = measure(rev)
        print(f"| {rev} ({commit}) | {stages} | {full:.1f} s | {noop:.2f} s |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
