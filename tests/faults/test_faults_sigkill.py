"""A train stage killed with SIGKILL mid-training under ``dvc repro``: no model (nor a visible
temporary file) is left, the next ``dvc repro`` reruns the stage, and its result equals an
uninterrupted run's. Runs in two temporary copies of the project, their pipeline reduced to the
download, prepare, reference and train stages of one tiny variant made slow with many epochs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from faultkit import REPO, visible_files, without_timings
from repo_kit import environment, project_copy

from lrlab.base import layout

KEY, DATASET = "linear_toy", "linear-toy"
EPOCHS = 20_000  # about 2 s of training: long enough to kill it in the middle
PROGRESS = re.compile(rf"{KEY}:\s+\d+%\|[^|]*\|\s*[1-9]\d*/{EPOCHS}")  # tqdm, past epoch 0

pytestmark = [
    pytest.mark.end_to_end,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


def make_repo(root: Path) -> Path:
    """The project in a git + DVC repository (repo_kit.project_copy), reduced to one dataset, one
    variant, and dvc.yaml's download, prepare, reference and train stages."""

    def one_slow_variant(params: dict) -> None:
        params.update(device="cpu", num_threads=1)
        params["datasets"] = {DATASET: params["datasets"][DATASET]}
        slow = {"epochs": EPOCHS, "seed_sweep": 0}  # no sweep after it: what is killed is training
        params["variants"] = {KEY: {**params["variants"][KEY], **slow}}

    project_copy(root, one_slow_variant)
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    kept = {name: stages[name] for name in ("download", "prepare", "reference", "train")}
    (root / "dvc.yaml").write_text(yaml.safe_dump({"stages": kept}))
    return root


def repro(root: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``dvc repro train@KEY`` in its own process group, output to ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            ["dvc", "repro", f"train@{KEY}"],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stage_pids(session: int) -> list[int]:
    """Processes of ``session`` still running ``stages.train`` (for a check after the kill)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if os.getsid(int(proc.name)) != session:
                continue
            if b"stages.train" in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except (OSError, ProcessLookupError):
            continue
    return found


def result(root: Path) -> tuple[dict, dict, dict, str]:
    checkpoint = torch.load(layout.model_file(root, KEY), weights_only=True)
    meta = without_timings(checkpoint["meta"])
    history = layout.history_file(root, KEY).read_text()
    weights = {
        **{f"trained.{k}": v for k, v in checkpoint["state_dict"].items()},
        **{f"initial.{k}": v for k, v in checkpoint["initial_state_dict"].items()},
    }
    return weights, checkpoint["config"], meta, history


def test_sigkill_mid_training_then_dvc_repro_equals_an_uninterrupted_run(tmp_path):
    env = environment(  # `dvc` and the stages' `python` from this interpreter
        DVC_SITE_CACHE_DIR=str(tmp_path / "dvc-site-cache"),
        MKL_NUM_THREADS="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    env.pop("PYTHONPATH", None)
    killed, clean = make_repo(tmp_path / "killed"), make_repo(tmp_path / "clean")
    uninterrupted = repro(clean, env, tmp_path / "clean.log")  # alongside, to save time
    run = repro(killed, env, tmp_path / "killed.log")
    try:
        deadline = time.monotonic() + 120
        while not PROGRESS.search((tmp_path / "killed.log").read_text(errors="replace")):
            assert run.poll() is None, (tmp_path / "killed.log").read_text()
            assert time.monotonic() < deadline, "training never started"
            time.sleep(0.02)
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # dvc and the stage it runs
        run.wait()
    log = (tmp_path / "killed.log").read_text(errors="replace")
    assert f"train@{KEY}: {EPOCHS} epochs in" not in log, "killed too late: training had ended"
    deadline = time.monotonic() + 10
    while stage_pids(run.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stage_pids(run.pid) == []

    assert not layout.model_file(killed, KEY).exists()
    assert visible_files(layout.model_file(killed, KEY).parent) == []
    # the live history holds the epochs done before the kill (a prefix of the whole run's)
    partial = layout.history_file(killed, KEY)
    assert visible_files(partial.parent) in ([], [partial.name])
    partial_bytes = partial.read_bytes() if partial.exists() else b""

    rerun = subprocess.run(
        ["dvc", "repro", f"train@{KEY}"], cwd=killed, env=env, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"Stage 'prepare@{DATASET}' didn't change, skipping" in rerun.stdout
    assert f"Running stage 'train@{KEY}'" in rerun.stdout
    assert uninterrupted.wait(timeout=120) == 0, (tmp_path / "clean.log").read_text()

    state, config, meta, history = result(killed)
    clean_state, clean_config, clean_meta, clean_history = result(clean)
    assert state.keys() == clean_state.keys()
    assert all(torch.equal(state[k], clean_state[k]) for k in state)
    assert (config, meta, history) == (clean_config, clean_meta, clean_history)
    assert clean_history.encode().startswith(partial_bytes)
    assert len(pd.read_csv(layout.history_file(killed, KEY))) == EPOCHS
    status = subprocess.run(["dvc", "status"], cwd=killed, env=env, capture_output=True, text=True)
    assert "up to date" in status.stdout, status.stdout
