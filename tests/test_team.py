"""Working as a team, simulated on one box: a bare git repository as origin, a directory as
the DVC remote, and clones standing for the machines (README, "Sharing results"). The
project keeps two toy variants and reproduces `report`, so nothing is downloaded.

The hub pushes main, its outputs and the run cache; a fresh clone reproduces everything with
`dvc repro --pull` and runs no stage; a worker runs a two-point sweep through the queue and
pushes it with `dvc exp push --run-cache`; the hub pulls and compares it; a third clone that
asks for one of the worker's configurations restores it from the shared run cache."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from repo_kit import RAN, TOY_VARIANTS, dvc, dvc_json, git, run, toy_project, wait_for_queue

from lrlab.base import layout

pytestmark = pytest.mark.end_to_end

REPO = Path(__file__).resolve().parents[1]
MIRROR = REPO.parent / "shared" / "datasets"  # the offline copy of the datasets, if present
SWEEP = (1, 2)  # variants.linear_toy.seed_offset; the committed value is 0
TARGET = "report"  # the toy variants' part of the pipeline: no dataset to download


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> dict[str, Path]:
    """origin (bare git), remote (DVC), and the hub: a copy of the project with two toy
    variants, reproduced, committed and pushed with its outputs and run cache."""
    root = tmp_path_factory.mktemp("team")
    hub, origin, remote = root / "hub", root / "origin.git", root / "remote"
    toy_project(tmp_path_factory, hub)
    git(root, "init", "-q", "--bare", "-b", "main", str(origin))
    dvc(hub, "remote", "add", "-d", "store", str(remote))
    git(hub, "commit", "-qam", "the team's DVC remote")
    git(hub, "remote", "add", "origin", str(origin))
    git(hub, "push", "-q", "origin", "main")
    dvc(hub, "push", "--run-cache")
    return {"root": root, "hub": hub, "origin": origin}


def clone(team: dict[str, Path], name: str) -> Path:
    path = team["root"] / name
    git(team["root"], "clone", "-q", str(team["origin"]), str(path))
    return path


def test_a_fresh_clone_reproduces_everything_without_running_a_stage(team):
    fresh = clone(team, "fresh")
    log = dvc(fresh, "repro", "--pull", TARGET)
    assert RAN not in log, f"a stage ran instead of being pulled:\n{log}"
    for key in TOY_VARIANTS:
        assert layout.model_file(fresh, key).is_file()
        assert layout.figures_dir(fresh, key).is_dir()
        assert layout.metrics_file(fresh, key).read_bytes() == (
            layout.metrics_file(team["hub"], key).read_bytes()
        )


def test_a_sweep_run_on_a_worker_reaches_the_hub_and_restores_on_a_third_machine(team):
    worker = clone(team, "worker")
    dvc(worker, "pull", "--allow-missing")
    setting = f"variants.linear_toy.seed_offset=range({SWEEP[0]},{SWEEP[-1] + 1})"  # Hydra's
    dvc(worker, "exp", "run", "--queue", "-S", setting, TARGET)
    dvc(worker, "queue", "start", "-j", "1")
    wait_for_queue(worker, timeout=300)
    dvc(worker, "exp", "push", "--run-cache", "origin")

    hub = team["hub"]
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

    third = clone(team, "third")
    dvc(third, "pull", "--run-cache", "--allow-missing")
    setting = f"variants.linear_toy.seed_offset={SWEEP[0]}"
    log = dvc(third, "exp", "run", "--pull", "-S", setting, TARGET)
    assert "Stage 'train@linear_toy' is cached" in log, log
    assert RAN not in log, f"the third machine ran a stage instead of restoring it:\n{log}"
    metrics = json.loads(layout.metrics_file(third, "linear_toy").read_text())
    assert metrics["train"]["loss"] == offsets[SWEEP[0]]


@pytest.mark.skipif(not (MIRROR / "exam-scores").is_dir(), reason="no offline dataset mirror")
def test_a_queued_experiment_finds_a_relative_data_mirror(team, monkeypatch):
    """The queue runs an experiment in a copy under .dvc/tmp/exps/; a relative DATA_MIRROR
    still means a folder beside the project, where the user pointed it."""
    machine = clone(team, "queued")
    monkeypatch.setenv("DATA_MIRROR", os.path.relpath(MIRROR, machine))
    dvc(machine, "exp", "run", "--queue", "download@exam-scores")
    dvc(machine, "queue", "start", "-j", "1")
    wait_for_queue(machine, timeout=300)
    logs = dvc(machine, "queue", "logs", dvc(machine, "exp", "ls", "--name-only").split()[-1])
    assert "download exam-scores: 1 file(s)" in logs, logs


def test_the_model_registry_hands_out_a_model_that_predicts_on_its_own(team, tmp_path):
    """dvc.yaml declares the models folder as a DVC artifact; GTO registers a version (a git
    tag), `dvc artifacts get` fetches it from the git remote through the DVC remote, into a
    folder that is no repository, and one model file predicts there."""
    hub = team["hub"]
    git(hub, "config", "user.name", "t")
    git(hub, "config", "user.email", "t@t")
    run(hub, str(Path(sys.executable).parent / "gto"), "register", "models", "--version", "v1.0.0")
    git(hub, "push", "-q", "origin", "--tags")
    url, consumer = f"file://{team['origin']}", tmp_path / "consumer"
    consumer.mkdir()
    dvc(consumer, "artifacts", "get", url, "models", "--rev", "v1.0.0", "-o", "models")
    for key in TOY_VARIANTS:
        got = consumer / "models" / f"{key}.pt"
        assert got.read_bytes() == layout.model_file(hub, key).read_bytes()
    dvc(consumer, "get", url, "models/linear_toy.pt", "--rev", "models@v1.0.0", "-o", "one.pt")
    (consumer / "x.csv").write_text("x\n4.0\n")
    done = run(consumer, "lrlab", "predict", "--model", "one.pt", "--input", "x.csv")
    query = json.loads(layout.metrics_file(hub, "linear_toy").read_text())["query"]["x=4.0"]
    assert done.stdout == f"line,prediction\n2,{query!r}\n"
