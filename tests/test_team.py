"""Working as a team, simulated on one box: a bare git repository as origin, a directory as
the DVC remote, and clones standing for the machines (README, "Sharing results"). The
project keeps two toy variants and reproduces `report`, so nothing is downloaded.

The story itself lives in tests/team_story.py. Here a fresh clone's `dvc repro --pull` runs
no stage; the worker's sweep through `dvc exp push/pull --run-cache`, a minute and a half of
queue, runs once, against the S3 remote of tests/test_s3.py (the same DVC commands; only the
remote's filesystem differs). Here too: a queued experiment's relative data mirror, and the
model registry."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from repo_kit import (
    TOY_VARIANTS,
    Remote,
    Team,
    dvc,
    git,
    make_team,
    run,
    start_queue,
    wait_for_queue,
)
from team_story import check_a_fresh_clone_runs_no_stage

from lrlab.base import layout

pytestmark = pytest.mark.end_to_end

REPO = Path(__file__).resolve().parents[1]
MIRROR = REPO.parent / "shared" / "datasets"  # the offline copy of the datasets, if present


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Team:
    """origin (bare git), a directory as the DVC remote, and the hub: a copy of the project
    with two toy variants, reproduced, committed and pushed with its outputs and run cache."""
    root = tmp_path_factory.mktemp("team")
    return make_team(tmp_path_factory, root, Remote(str(root / "remote")))


def test_a_fresh_clone_reproduces_everything_without_running_a_stage(team):
    check_a_fresh_clone_runs_no_stage(team)


@pytest.mark.skipif(not (MIRROR / "exam-scores").is_dir(), reason="no offline dataset mirror")
def test_a_queued_experiment_finds_a_relative_data_mirror(team, monkeypatch):
    """The queue runs an experiment in a copy under .dvc/tmp/exps/; a relative DATA_MIRROR
    still means a folder beside the project, where the user pointed it."""
    machine = team.clone("queued")
    monkeypatch.setenv("DATA_MIRROR", os.path.relpath(MIRROR, machine))
    dvc(machine, "exp", "run", "--queue", "download@exam-scores")
    start_queue(machine, jobs=1)
    wait_for_queue(machine, timeout=300)
    logs = dvc(machine, "queue", "logs", dvc(machine, "exp", "ls", "--name-only").split()[-1])
    assert "download exam-scores: 1 file(s)" in logs, logs


def test_the_model_registry_hands_out_a_model_that_predicts_on_its_own(team, tmp_path):
    """dvc.yaml declares the models folder as a DVC artifact; GTO registers a version (a git
    tag), `dvc artifacts get` fetches it from the git remote through the DVC remote, into a
    folder that is no repository, and one model file predicts there."""
    hub = team.hub
    git(hub, "config", "user.name", "t")
    git(hub, "config", "user.email", "t@t")
    run(hub, str(Path(sys.executable).parent / "gto"), "register", "models", "--version", "v1.0.0")
    git(hub, "push", "-q", "origin", "--tags")
    url, consumer = f"file://{team.origin}", tmp_path / "consumer"
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
