"""Two runs at once. In one workspace, a second ``dvc repro`` started while a stage runs is
refused by DVC's lock on the files in use (``.dvc/tmp/rwlock``; DVC releases its repository
lock while a command runs), naming the process that holds them, and nothing is corrupted.
The first run's training is suspended (SIGSTOP) while the second is tried, so the test does
not depend on how fast this machine trains. Side by side, ``dvc queue start -j 2`` over a
two-point sweep (one experiment a worker, at the same time) gives each experiment its own
results, identical to that configuration trained by itself in a copy of its own.

The project is the session's toy project (:func:`repo_kit.toy_project`): toy variants only, no
download, committed in git."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from dvc.api import metrics_show
from faultkit import without_timings
from repo_kit import (
    RAN,
    dvc,
    dvc_json,
    edit_params,
    environment,
    run,
    start_queue,
    toy_project,
    wait_for_queue,
)

from lrlab.base import layout

pytestmark = pytest.mark.end_to_end

TARGET = "train@linear_toy"
EPOCHS = 10_000  # long enough to be seen under way (a progress bar shows) before it ends
LRS = (0.005, 0.02)  # variants.linear_toy.optimizer.lr, one per worker; the committed one: 0.01


def test_a_second_dvc_repro_while_a_stage_runs_is_refused_by_dvcs_lock(tmp_path_factory, tmp_path):
    repo = toy_project(tmp_path_factory, tmp_path / "repo")
    edit_params(repo, lambda p: p["variants"]["linear_toy"].update(epochs=EPOCHS, seed_sweep=0))
    log = tmp_path / "first.log"
    with open(log, "wb") as out:
        first = subprocess.Popen(
            [sys.executable, "-m", "dvc", "repro", TARGET],
            cwd=repo,
            env=environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while not re.search(r"linear_toy:\s+\d+%\|[^|]*\|\s*[1-9]\d*/", log.read_text()):
        assert first.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)  # until the training command is under way (DVC's lock released)
    training = training_process(first.pid)
    training.suspend()  # it stays under way, its files locked, however fast this machine is
    try:
        second = run(repo, sys.executable, "-m", "dvc", "repro", TARGET, check=False)
        assert first.poll() is None
    finally:
        training.resume()

    assert second.returncode != 0, second.stdout + second.stderr
    said = second.stdout + second.stderr
    assert "is busy, it is being blocked by" in said, said
    assert f"(PID {first.pid}): " in said and f"repro {TARGET}" in said, said
    assert RAN not in said
    assert first.wait(timeout=300) == 0, log.read_text()
    assert log.read_text().count("Running stage 'train@linear_toy'") == 1
    status = dvc(repo, "status", TARGET)
    assert "up to date" in status, status
    metrics = json.loads(layout.metrics_file(repo, "linear_toy").read_text())
    assert metrics["epochs"] == EPOCHS


def training_process(dvc_pid: int) -> psutil.Process:
    """The ``python -m stages.train`` process that the ``dvc repro`` of ``dvc_pid`` runs."""
    for child in psutil.Process(dvc_pid).children(recursive=True):
        if "stages.train" in child.cmdline():
            return child
    pytest.fail("the training command ended before the second repro could be tried")


def sweep(repo: Path, jobs: int) -> dict[float, dict]:
    """Queue the LRS sweep in ``repo``, run it with ``jobs`` workers, and return each
    experiment's metrics (timings dropped) by learning rate."""
    values = ",".join(map(str, LRS))  # Hydra's sweep syntax, as docs/experiments.md shows it
    setting = f"variants.linear_toy.optimizer.lr=choice({values})"
    dvc(repo, "exp", "run", "--queue", "-S", setting, TARGET)
    start_queue(repo, jobs)
    wait_for_queue(repo, timeout=600)
    shown = dvc_json(repo, "exp", "show")
    results = {}
    for baseline in shown:
        for exp in baseline.get("experiments") or []:
            data = exp["revs"][0]["data"]
            lr = data["params"]["params.yaml"]["data"]["variants"]["linear_toy"]["optimizer"]["lr"]
            metrics = data["metrics"][str(layout.metrics_file(".", "linear_toy"))]["data"]
            results[lr] = without_timings(metrics)
    return results


def alone(repo: Path, lr: float) -> dict:
    """The metrics of linear_toy trained at ``lr`` by itself in ``repo``, a copy of its own,
    without DVC, read as `dvc exp show` reads them (DVC's metrics keep numbers, not lists)."""
    edit_params(repo, lambda p: p["variants"]["linear_toy"]["optimizer"].update(lr=lr))
    run(repo, sys.executable, "-m", "stages.train", "linear_toy", "--evaluate")
    metrics = str(layout.metrics_file(repo, "linear_toy"))
    return without_timings(metrics_show(metrics, repo=str(repo)))


def test_two_queue_workers_give_each_experiment_what_it_gives_alone(tmp_path_factory, tmp_path):
    parallel = sweep(toy_project(tmp_path_factory, tmp_path / "parallel"), jobs=2)
    assert sorted(parallel) == sorted(LRS)
    losses = {lr: m["train"]["loss"] for lr, m in parallel.items()}
    assert len(set(losses.values())) == len(LRS), f"experiments share results: {losses}"
    by_itself = toy_project(tmp_path_factory, tmp_path / "alone")
    for lr in LRS:
        assert parallel[lr] == alone(by_itself, lr), lr
