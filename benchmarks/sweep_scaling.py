"""`lrlab sweep` measured, in one run (issue #23): an N-configuration sweep on one Ray node,
then N others on two; each task's overhead (clone, pull, push) beside a plain `dvc exp run`
of the same kind of configuration in a workspace; and the two-node sweep repeated under a
new name, which must restore everything and train nothing.

    sudo python benchmarks/sweep_scaling.py [--configs 8]

The toy project's team (git origin, S3 remote on SeaweedFS) and the cluster come from the
tests' harness (tests/repo_kit.py, tests/s3_server.py, tests/ray_cluster.py), in a network
namespace with only 127.0.0.1, so it needs root. One CPU per node; the configurations are
`variants.linear_toy.seed_offset` values, each a new training. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

SEED = "variants.linear_toy.seed_offset"
TARGET = ("report",)
PHASES = ("clone", "pull", "run", "push")


class Folders:
    """What the tests' builders take of pytest's tmp_path_factory."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def getbasetemp(self) -> Path:
        return self.base

    def mktemp(self, name: str) -> Path:
        path = self.base / name
        path.mkdir()
        return path


def timed_sweep(hub: Path, name: str, seeds: range, nodes: int):
    from lrlab.sweep import driver

    plan = driver.plan(hub, [f"{SEED}={','.join(map(str, seeds))}"], name, targets=TARGET)
    begun = time.monotonic()
    outcomes = driver.run(plan, None, 1, lambda *_: None, lambda _: None)
    wall = time.monotonic() - begun
    statuses = sorted({o.status for o in outcomes})
    print(f"| {name} | {nodes} | {len(outcomes)} | {wall:.1f} | {', '.join(statuses)} |")
    return wall, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=8)
    n = parser.parse_args().configs

    import ray
    from ray_cluster import loopback_namespace, ray_cluster
    from repo_kit import Remote, dvc, make_team
    from s3_server import seaweed_s3

    factory = Folders(Path(tempfile.mkdtemp(prefix="sweep-bench-")))
    root = factory.mktemp("sweep-bench")
    os.environ["LRLAB_SWEEP_CACHE"] = str(root / "node-cache")  # nothing restored from before
    with loopback_namespace(), seaweed_s3(root / "s3") as s3:
        secrets = {"access_key_id": s3.access_key, "secret_access_key": s3.secret_key}
        remote = Remote(s3.url("dvc"), {"endpointurl": s3.endpoint}, secrets)
        team = make_team(factory, root / "team", remote)
        with ray_cluster(root / "ray", nodes=1) as cluster:
            ray.init(address=cluster.address, log_to_driver=False)
            print("| sweep | nodes | configurations | wall s | status |\n|---|---|---|---|---|")
            one, _ = timed_sweep(team.hub, "one-node", range(1, n + 1), 1)
            cluster.wait_alive(cluster.add_node())
            two, outcomes = timed_sweep(team.hub, "two-nodes", range(n + 1, 2 * n + 1), 2)
            again, repeat = timed_sweep(team.hub, "repeated", range(n + 1, 2 * n + 1), 2)
            ray.shutdown()
        plain = []
        for seed in (2 * n + 1, 2 * n + 2):
            begun = time.monotonic()
            dvc(team.hub, "exp", "run", "-S", f"{SEED}={seed}", *TARGET)
            plain.append(time.monotonic() - begun)
    print(f"\ntwo nodes / one node: {two / one:.2f} (wall)")
    print(f"repeated: {sum(o.status == 'trained' for o in repeat)} trained of {len(repeat)}")
    print("\n| per task, two-node sweep (median s) | " + " | ".join(PHASES) + " | total |")
    print("|---|" + "---|" * (len(PHASES) + 1))
    medians = [statistics.median(o.seconds.get(p, 0.0) for o in outcomes) for p in PHASES]
    print("| task | " + " | ".join(f"{m:.1f}" for m in medians) + f" | {sum(medians):.1f} |")
    overhead = medians[0] + medians[1] + medians[3]
    exp_run = statistics.median(plain)
    print(f"\nplain `dvc exp run` of one such configuration: {exp_run:.1f} s (median of 2)")
    print(f"task overhead (clone + pull + push): {overhead:.1f} s = {overhead / exp_run:.2f}x it")
    print(f"whole task / plain exp run: {sum(medians) / exp_run:.2f}x")


if __name__ == "__main__":
    main()
