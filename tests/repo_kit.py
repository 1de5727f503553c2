"""How a test sets up a repository, one home for each way:

- :func:`write_params` is the one writer of ``params.yaml`` (:func:`edit_params` changes one);
- :func:`trained_repo`: a mini-repo, fixture datasets prepared and variants run through
  reference and train (evaluating) in-process (:func:`prepared_repo` stops before training,
  :func:`train_variants` is the training part, for a repo whose data a test prepared itself);
- :func:`toy_project`: this project's pipeline in a git + DVC repository with the toy lesson
  variants reproduced and committed, built once per test session and copied per test;
- :func:`run`, :func:`git`, :func:`dvc`, :func:`dvc_json`: subprocesses with this interpreter's
  tools first on ``PATH``, one OpenMP thread and no DVC usage reports; :func:`wait_for_queue`.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from filelock import FileLock
from fixtures_data import BASE_PARAMS, write_prepared

REPO = Path(__file__).resolve().parents[1]
Edit = Callable[[dict[str, Any]], None]

# --- params.yaml -----------------------------------------------------------------------------


def read_params(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / "params.yaml").read_text())


def write_params(
    root: Path, edit: Edit | None = None, base: dict[str, Any] = BASE_PARAMS, fast: bool = True
) -> None:
    """``root/params.yaml``: a copy of ``base`` (the repository's params), with ``fast`` on the
    CPU, one thread and one epoch per variant; ``edit`` changes the dict in place first."""
    raw = copy.deepcopy(base)
    if fast:
        raw.update(device="cpu", num_threads=1)
        for variant in raw["variants"].values():
            variant["epochs"] = 1
    if edit:
        edit(raw)
    (root / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))


def edit_params(root: Path, edit: Edit) -> None:
    """Change ``root/params.yaml`` in place (nothing else altered)."""
    write_params(root, edit, read_params(root), fast=False)


def only_variants(*keys: str) -> Edit:
    """An edit that keeps the variants ``keys`` alone."""
    return lambda raw: raw.update(variants={k: raw["variants"][k] for k in keys})


# --- in-process mini-repositories ------------------------------------------------------------


def prepared_repo(
    root: Path,
    datasets: tuple[str, ...],
    edit: Edit | None = None,
    base: dict[str, Any] = BASE_PARAMS,
) -> Path:
    """``root`` with the fixture params (see :func:`write_params`) and ``datasets`` prepared."""
    write_params(root, edit, base)
    write_prepared(root, *datasets)
    return root


def trained_repo(
    root: Path,
    datasets: tuple[str, ...],
    variants: tuple[str, ...],
    edit: Edit | None = None,
    base: dict[str, Any] = BASE_PARAMS,
) -> Path:
    """:func:`prepared_repo`, then :func:`train_variants`."""
    return train_variants(prepared_repo(root, datasets, edit, base), variants)


def train_variants(root: Path, variants: tuple[str, ...]) -> Path:
    """Each of ``variants`` of ``root`` (params and data in place) through reference and train
    (with ``--evaluate``, as the pipeline runs it), in this process."""
    from stages import reference, train

    for variant in variants:
        reference.main([variant, "--root", str(root)])
        train.main([variant, "--root", str(root), "--evaluate"])
    return root


# --- subprocesses ----------------------------------------------------------------------------


def environment(**extra: str) -> dict[str, str]:
    """This environment with the running interpreter's scripts (dvc, lrlab) first on PATH and
    one OpenMP thread."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    quiet = {"OMP_NUM_THREADS": "1", "DVC_NO_ANALYTICS": "1"}  # no usage report sent per command
    return {**os.environ, "PATH": path, **quiet, **extra}


def run(repo: Path, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``cmd`` in ``repo``; with ``check``, a non-zero exit fails the test with its output."""
    done = subprocess.run(cmd, cwd=repo, env=environment(), capture_output=True, text=True)
    if check:
        assert done.returncode == 0, f"{' '.join(cmd)}:\n{done.stdout}{done.stderr}"
    return done


def git(repo: Path, *args: str) -> str:
    """``git args`` in ``repo`` under a fixed identity; its standard output."""
    ident = ("-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false")
    return run(repo, "git", *ident, *args).stdout


def dvc(repo: Path, *args: str) -> str:
    """``dvc args`` in ``repo`` (this interpreter's DVC); what it printed, both streams."""
    done = run(repo, sys.executable, "-m", "dvc", *args)
    return done.stdout + done.stderr


def dvc_json(repo: Path, *args: str) -> Any:
    return json.loads(run(repo, sys.executable, "-m", "dvc", *args, "--json").stdout)


def wait_for_queue(repo: Path, timeout: float) -> None:
    """Until ``dvc queue status`` in ``repo`` shows nothing queued or running; a failed
    experiment, or ``timeout`` seconds, fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = dvc(repo, "queue", "status")
        if not any(word in status for word in ("Queued", "Running")):
            assert "Failed" not in status, status
            return
        time.sleep(1)
    pytest.fail(f"the queue did not finish in {timeout} s:\n{status}")


# --- this project under git and DVC -------------------------------------------------------

PROJECT_FILES = (
    "dvc.yaml",
    "params.yaml",
    "lessons.yaml",
    "metrics_rules.yaml",
    ".gitignore",
    ".dvcignore",
)
PROJECT_FOLDERS = ("lrlab", "stages", "data/external")
TOY_VARIANTS = ("linear_toy", "study_hours")  # toy lesson variants: no download, a second to train
RAN = "> python -m stages."  # DVC echoes each command it runs


def project_copy(root: Path, edit: Edit | None = None) -> Path:
    """This project's pipeline (code, dvc.yaml, params) in ``root``, a new git repository on
    ``main`` with DVC initialised; ``edit`` changes its params."""
    root.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy(REPO / name, root / name)
    for folder in PROJECT_FOLDERS:
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    if edit:
        edit_params(root, edit)
    git(root, "init", "-q", "-b", "main")
    dvc(root, "init", "-q")
    return root


def toy_project(factory: pytest.TempPathFactory, to: Path) -> Path:
    """A copy, at ``to``, of :func:`project_copy` with only :data:`TOY_VARIANTS`, reproduced
    up to the report and committed. The original is built once per session: the first test
    worker to need it builds it under a file lock, the others wait and copy."""
    shared = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # each worker's basetemp lies in the session's own folder
    built, done = shared / "toy-project", shared / "toy-project.done"
    with FileLock(str(shared / "toy-project.lock")):
        if not done.is_file():
            shutil.rmtree(built, ignore_errors=True)
            project_copy(built, only_variants(*TOY_VARIANTS))
            dvc(built, "repro", "report")
            git(built, "add", "-A")
            git(built, "commit", "-qm", "baseline")
            done.touch()
    shutil.copytree(built, to, symlinks=True)
    return to
