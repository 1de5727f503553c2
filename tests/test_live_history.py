"""The history file grows while training runs: first epoch at once, then at most about once a
second, flushed; finished, it is byte-identical to the all-at-once CSV; a failed or
interrupted run removes it and puts an earlier run's file back. A real training run's file is
read, parsed and checked while the run is still going."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from repo_kit import write_params

from lrlab.base import io as lio
from lrlab.base import layout
from lrlab.core.outputs import HISTORY_COLUMNS, read_history
from lrlab.train.live_history import LiveHistory

pytestmark = pytest.mark.end_to_end

REPO = Path(__file__).resolve().parents[1]
ROWS = [{"epoch": e, "train_loss": 1.0 / e, "train_accuracy": e / 10} for e in range(1, 8)]
# linear_toy runs for seconds, so the file, written once a second, is seen growing (12,000
# epochs once took under 2 s: too few)
EPOCHS = 40_000


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_the_first_epoch_is_written_at_once_then_at_most_once_a_second(tmp_path):
    path, clock = tmp_path / "history" / "v.csv", Clock()
    with LiveHistory(path, every=1.0, clock=clock) as live:
        live.add(ROWS[0])
        assert lines(path) == ["epoch,train_loss,train_accuracy,test_accuracy", "1,1.0,0.1,nan"]
        clock.now += 0.5
        live.add(ROWS[1])
        live.add(ROWS[2])
        assert len(lines(path)) == 2, "written again before a second had passed"
        clock.now += 0.6
        live.add(ROWS[3])
        assert len(lines(path)) == 5  # epochs 2, 3 and 4 together
        for row in ROWS[4:]:
            live.add(row)
    columns = {k: [r.get(k, math.nan) for r in ROWS] for k in HISTORY_COLUMNS}  # every plotted one
    lio.write_csv(tmp_path / "whole.csv", columns)
    assert path.read_bytes() == (tmp_path / "whole.csv").read_bytes()


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failed_run_removes_its_partial_file_and_puts_the_earlier_one_back(tmp_path, error):
    path = tmp_path / "v.csv"
    path.write_text("epoch,train_loss\n1,0.5\n")
    with pytest.raises(error), LiveHistory(path, every=0.0) as live:
        live.add(ROWS[0])
        assert lines(path)[1] == "1,1.0,0.1,nan"  # this run's file, live
        raise error
    assert path.read_text() == "epoch,train_loss\n1,0.5\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.csv"]


def test_a_finished_run_leaves_no_earlier_copy(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("old\n")
    with LiveHistory(path) as live:
        live.add(ROWS[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.csv"]
    assert lines(path)[1] == "1,1.0,0.1,nan"


def test_the_history_of_a_running_training_can_be_read(tmp_path):
    """linear_toy for EPOCHS epochs (seconds): the file is read and parsed mid-run,
    grows, and what was read is the start of the finished file."""
    for folder in ("lrlab", "stages"):
        shutil.copytree(
            REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )

    def long_linear_toy(params: dict) -> None:
        params.update(device="cpu", num_threads=1)
        params["variants"]["linear_toy"].update(epochs=EPOCHS, seed_sweep=0)  # no sweep after it

    write_params(tmp_path, long_linear_toy, fast=False)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "OMP_NUM_THREADS": "1"}
    run = [sys.executable, "-m", "stages.prepare", "linear-toy"]
    subprocess.run(run, cwd=tmp_path, env=env, check=True, capture_output=True)
    path = layout.history_file(tmp_path, "linear_toy")
    train = subprocess.Popen(
        [sys.executable, "-m", "stages.train", "linear_toy"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    seen: list[int] = []
    deadline = time.monotonic() + 120
    while train.poll() is None and time.monotonic() < deadline:
        if path.exists():
            rows = int(read_history(tmp_path, "linear_toy")["epoch"][-1])
            if not seen or rows > seen[-1]:
                seen.append(rows)
                if rows < EPOCHS:
                    mid_run = path.read_bytes()
        time.sleep(0.2)
    assert train.wait(timeout=60) == 0
    running = [n for n in seen if n < EPOCHS]
    assert len(running) >= 2, f"epochs seen while running: {seen}"
    assert path.read_bytes().startswith(mid_run)
