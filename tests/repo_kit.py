"""How a test sets up a repository, one home for each way:

- :func:`write_params` is the one writer of ``params.yaml`` (:func:`edit_params` changes one);
- :func:`trained_repo`: a mini-repo, fixture datasets prepared and variants run through
  reference and train (evaluating) in-process (:func:`prepared_repo` stops before training,
  :func:`train_variants` is the training part, for a repo whose data a test prepared itself);
- :func:`toy_project`: this project's pipeline in a git + DVC repository with the toy lesson
  variants reproduced and committed, built once per test session and copied per test;
- :func:`run`, :func:`git`, :func:`dvc`, :func:`dvc_json`: subprocesses with this interpreter's
  tools first on ``PATH``, one OpenMP thread and no DVC usage reports; :func:`start_queue`
  and :func:`wait_for_queue` for DVC's experiment queue;
- :func:`missing`: a tool or package a test needs is not installed (skip; in CI, fail);
- :func:`make_team`: the toy project as a team's hub, with a git origin and a DVC :class:`Remote`
  (a directory, S3), pushed; :meth:`Team.clone` stands for another machine.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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


def missing(what: str) -> None:
    """Skip the test for want of ``what`` (a tool, a package); in CI (``CI`` set), fail it."""
    if os.environ.get("CI"):
        pytest.fail(f"{what}: .ci/run installs it; in CI this test does not skip")
    pytest.skip(what)


def start_queue(repo: Path, jobs: int) -> None:
    """``dvc queue start -j jobs`` in ``repo``, returning once the workers are started. The
    workers it spawns inherit its output streams: read through pipes (:func:`run`), the
    command would last until the last worker exits, the idle quarter of a minute DVC's
    workers wait for more work included. Then :func:`wait_for_queue`."""
    with tempfile.TemporaryFile() as out:
        done = subprocess.run(
            [sys.executable, "-m", "dvc", "queue", "start", "-j", str(jobs)],
            cwd=repo,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.seek(0)
        said = out.read().decode(errors="replace")
    assert done.returncode == 0, f"dvc queue start -j {jobs}:\n{said}"


def wait_for_queue(repo: Path, timeout: float) -> None:
    """Until the experiment queue of ``repo`` (what ``dvc queue status`` lists) has nothing
    queued or running; a failed experiment, or ``timeout`` seconds, fails the test. Polled
    in this process through DVC's API: a ``dvc queue status`` a second would take a core's
    half from the experiments it waits for."""
    from dvc.repo import Repo

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Repo(str(repo)) as dvc_repo:
            tasks = dvc_repo.experiments.celery_queue.status()
        states = {task["status"] for task in tasks}
        if not states & {"Queued", "Running"}:
            assert "Failed" not in states, tasks
            return
        time.sleep(1)
    pytest.fail(f"the queue did not finish in {timeout} s:\n{tasks}")


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


# --- a team: git origin, DVC remote, clones ---------------------------------------------------


@dataclass
class Remote:
    """The team's DVC remote ``store``: its ``url`` and ``settings`` are committed in
    .dvc/config; its ``secrets`` (credentials) are each machine's own, in the git-ignored
    .dvc/config.local, set again on every clone.

    Written as `dvc remote add -d store URL` and `dvc remote modify [--local] store KEY VALUE`
    write them, through the same DVC config code, in this process: a DVC start-up (a second)
    less per key and machine. tests/test_open_layout.py runs `dvc remote add -d` itself, and
    tests/test_s3.py `dvc remote modify --local`."""

    url: str
    settings: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    def add_to(self, repo: Path) -> None:
        with _dvc_config(repo, "repo") as conf:
            conf["remote"]["store"] = {"url": self.url, **self.settings}
            conf["core"]["remote"] = "store"
        self.give_secrets(repo)

    def give_secrets(self, repo: Path) -> None:
        if self.secrets:
            with _dvc_config(repo, "local") as conf:
                conf["remote"].setdefault("store", {}).update(self.secrets)


def _dvc_config(repo: Path, level: str) -> Any:
    """DVC's editor of ``repo``'s config file at ``level`` (``repo``: .dvc/config, ``local``:
    .dvc/config.local), as the `dvc remote` commands use it: checked against DVC's schema."""
    from dvc.config import Config

    return Config(dvc_dir=str(repo / ".dvc")).edit(level)


@dataclass
class Team:
    """A bare git ``origin`` and the ``hub`` that pushed to it and to ``remote``, in ``root``."""

    root: Path
    hub: Path
    origin: Path
    remote: Remote

    def clone(self, name: str, secrets: bool = True) -> Path:
        """Another machine: a clone of origin, with the remote's credentials of its own in
        .dvc/config.local (without ``secrets``, none: the environment may hold them)."""
        path = self.root / name
        git(self.root, "clone", "-q", str(self.origin), str(path))
        if secrets:
            self.remote.give_secrets(path)
        return path


def make_team(factory: pytest.TempPathFactory, root: Path, remote: Remote) -> Team:
    """A :class:`Team` in ``root``: the hub a :func:`toy_project` with ``remote`` as its DVC
    remote, committed and pushed to a new bare origin, with its outputs and the run cache."""
    hub, origin = root / "hub", root / "origin.git"
    toy_project(factory, hub)
    git(root, "init", "-q", "--bare", "-b", "main", str(origin))
    remote.add_to(hub)
    git(hub, "commit", "-qam", "the team's DVC remote")
    git(hub, "remote", "add", "origin", str(origin))
    git(hub, "push", "-q", "origin", "main")
    dvc(hub, "push", "--run-cache")
    return Team(root, hub, origin, remote)
