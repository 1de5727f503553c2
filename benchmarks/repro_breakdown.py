"""Where a clean-clone `dvc repro` spends its time: the stages' work, start-up, and DVC's floor.

    python benchmarks/repro_breakdown.py          # HEAD
    python benchmarks/repro_breakdown.py bd8c4c6  # another revision

In a clean clone of the revision (beside the repository, as benchmarks/clean_repro.py makes it):

1. ``dvc repro``, each stage's wall time taken from when DVC announces it to when it announces
   the next; the work each stage reports in its own output (``(N s)``, ``in N s``);
2. start-up: ``python -c "import stages.<module>"``, the median of three, per stage module;
3. DVC's floor: the same clone and the same ``dvc.yaml``, with every ``stages/<module>.py``
   replaced by a stub that only writes the stage's outputs (empty files and folders), timed with
   a second ``dvc repro`` from nothing. That is what DVC itself costs for this graph: its
   per-stage bookkeeping (locks, hashing deps and outputs, dvc.lock), plus one bare Python start
   per stage. Hashing the real data is not in it (the stub's outputs are empty).

Prints one Markdown table by stage kind; the rest of a stage's time after its work, its
start-up and its share of the floor is evaluation, figures and the stage's other code.
Timings compare only within one run on one machine.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from clean_repro import clean_clone, sh  # noqa: E402

ANNOUNCE = re.compile(r"^Running stage '([^']+)':")
WORK = re.compile(r"(?:\(|\bin )(\d+(?:\.\d+)?) s\b")  # "(9.0 s)", "in 0.13 s"
STUB = '''"""A benchmark stub: writes this command's outputs, empty, and nothing else."""
import json, sys
from pathlib import Path
command = " ".join([__spec__.name, *sys.argv[1:]])
outs = json.loads(Path("floor_outs.json").read_text())[command]
for path in outs:
    p = Path(path)
    if p.suffix:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("{}" if p.suffix == ".json" else "")
    else:
        p.mkdir(parents=True, exist_ok=True)
        (p / "empty").write_text("")
'''


def timed_repro(clone: Path) -> tuple[float, dict[str, tuple[float, float]]]:
    """The whole ``dvc repro``'s seconds; per stage, its wall seconds and reported work."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.setdefault("DATA_MIRROR", str((REPO.parent / "shared" / "datasets").resolve()))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dvc", "repro"],
        cwd=clone,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    stages: dict[str, list[float]] = {}
    current, since = None, start
    for line in proc.stdout:
        line = line.split("\r")[-1]
        if match := ANNOUNCE.match(line):
            now = time.perf_counter()
            if current:
                stages[current][0] = now - since
            current, since = match[1], now
            stages[current] = [0.0, 0.0]
        elif current and not line.startswith(">") and "epoch/s" not in line:
            stages[current][1] += sum(float(s) for s in WORK.findall(line))
    end = time.perf_counter()
    if proc.wait():
        sys.exit(f"dvc repro failed in {clone}")
    if current:
        stages[current][0] = end - since
    return end - start, {k: (v[0], v[1]) for k, v in stages.items()}


def startup(clone: Path, module: str) -> float:
    runs = []
    for _ in range(3):
        began = time.perf_counter()
        sh(clone, sys.executable, "-c", f"import stages.{module}")
        runs.append(time.perf_counter() - began)
    return statistics.median(runs)


def floor(clone: Path) -> float:
    """A clean ``dvc repro`` of ``clone``'s graph with stub commands (see the module doc)."""
    sys.path.insert(0, str(clone))
    from dvc.repo import Repo

    outs = {}
    with Repo(str(clone)) as repo:
        for stage in repo.index.stages:
            command = stage.cmd.removeprefix("python -m ")  # stages.<module> <args>
            outs[command] = [str(o.def_path) for o in stage.outs]
    (clone / "floor_outs.json").write_text(json.dumps(outs))
    for module in (clone / "stages").glob("*.py"):
        if module.name != "__init__.py":
            module.write_text(STUB)
    sh(clone, "git", "add", "-A")  # so a clean clone of this has the stubs
    sh(clone, *"git -c user.name=b -c user.email=b@b commit -qm stubs".split())
    with clean_clone("HEAD", "lrlab-floor-", source=clone) as (stubbed, _):
        seconds, _ = timed_repro(stubbed)
        return seconds


def main(argv: list[str]) -> None:
    rev = argv[0] if argv else "HEAD"
    with clean_clone(rev, "lrlab-breakdown-") as (clone, _):
        total, stages = timed_repro(clone)
        kinds: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for name, value in stages.items():
            kinds[name.split("@")[0]].append(value)
        modules = {"lesson_figures": "figures"}
        starts = {kind: startup(clone, modules.get(kind, kind)) for kind in kinds}
        floor_seconds = floor(clone)
    per_stage_floor = floor_seconds / len(stages)
    print(
        f"clean `dvc repro` of {rev}: {total:.1f} s, {len(stages)} stages; DVC's floor "
        f"(stub commands): {floor_seconds:.1f} s ({per_stage_floor:.2f} s a stage)\n"
    )
    print("| stage | n | wall s | reported work s | start-up s | DVC floor s | rest s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    sums = [0.0] * 5
    for kind, values in kinds.items():
        n, wall, work = len(values), sum(v[0] for v in values), sum(v[1] for v in values)
        start, dvc = n * starts[kind], n * per_stage_floor
        row = [wall, work, start, dvc, wall - work - start - dvc]
        sums = [a + b for a, b in zip(sums, row, strict=True)]
        print(f"| {kind} | {n} | " + " | ".join(f"{v:.1f}" for v in row) + " |")
    print(f"| all | {len(stages)} | " + " | ".join(f"{v:.1f}" for v in sums) + " |")
    print(
        f"\noutside any stage (DVC's start, checks, lock writes between stages): "
        f"{total - sums[0]:.1f} s"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
