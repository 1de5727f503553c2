"""The team story of README, "Sharing results", as checks that run against any DVC remote:
tests/test_s3.py runs both with S3, tests/test_team.py the first with a directory remote.
Each takes a :class:`repo_kit.Team` (the toy project's hub, pushed with its outputs and run
cache) and clones it for the other machines.

- :func:`check_a_fresh_clone_runs_no_stage`: `dvc repro --pull` restores everything;
- :func:`check_a_sweep_travels_from_a_worker_to_the_hub_and_a_third_machine`: a worker runs a
  two-point sweep through the queue and pushes it with `dvc exp push --run-cache`; the hub
  pulls and compares it; a third clone that asks for one of the worker's configurations
  restores it from the shared run cache.
"""

from __future__ import annotations

import json
import sys

from repo_kit import RAN, TOY_VARIANTS, Team, dvc, dvc_json, run, start_queue, wait_for_queue

from lrlab.base import layout

SWEEP = (1, 2)  # variants.linear_toy.seed_offset; the committed value is 0
TARGET = "report"  # the toy variants' part of the pipeline: no dataset to download


def check_a_fresh_clone_runs_no_stage(team: Team) -> None:
    fresh = team.clone("fresh")
    log = dvc(fresh, "repro", "--pull", TARGET)
    assert RAN not in log, f"a stage ran instead of being pulled:\n{log}"
    for key in TOY_VARIANTS:
        assert layout.model_file(fresh, key).is_file()
        assert layout.figures_dir(fresh, key).is_dir()
        assert layout.metrics_file(fresh, key).read_bytes() == (
            layout.metrics_file(team.hub, key).read_bytes()
        )


def check_a_sweep_travels_from_a_worker_to_the_hub_and_a_third_machine(team: Team) -> None:
    worker = team.clone("worker")
    dvc(worker, "pull", "--allow-missing")
    setting = f"variants.linear_toy.seed_offset=range({SWEEP[0]},{SWEEP[-1] + 1})"  # Hydra's
    dvc(worker, "exp", "run", "--queue", "-S", setting, TARGET)
    start_queue(worker, jobs=1)
    wait_for_queue(worker, timeout=300)
    dvc(worker, "exp", "push", "--run-cache", "origin")

    hub = team.hub
    dvc(hub, "exp", "pull", "--run-cache", "origin")
    shown = dvc_json(hub, "exp", "show")
    offsets = {}
    for baseline in shown:
        for exp in baseline.get("experiments") or []:
            data = exp["revs"][0]["data"]
            params = data["params"]["params.yaml"]["data"]
            metrics = data["metrics"][str(layout.metrics_file(".", "linear_toy"))]["data"]
            offsets[params["variants"]["linear_toy"]["seed_offset"]] = metrics["train"]["loss"]
    assert sorted(offsets) == list(SWEEP), shown
    assert len(set(offsets.values())) == len(SWEEP), "each seed gives its own training run"
    summary = run(hub, sys.executable, "-m", "lrlab.cli", "seeds", "linear_toy").stdout
    assert "linear_toy over 3 seeds" in summary, summary  # the baseline and the two pulled

    third = team.clone("third")
    dvc(third, "pull", "--run-cache", "--allow-missing")
    setting = f"variants.linear_toy.seed_offset={SWEEP[0]}"
    log = dvc(third, "exp", "run", "--pull", "-S", setting, TARGET)
    assert "Stage 'train@linear_toy' is cached" in log, log
    assert RAN not in log, f"the third machine ran a stage instead of restoring it:\n{log}"
    metrics = json.loads(layout.metrics_file(third, "linear_toy").read_text())
    assert metrics["train"]["loss"] == offsets[SWEEP[0]]
