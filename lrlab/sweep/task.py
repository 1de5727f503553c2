"""One configuration of a sweep, as a Ray task runs it on a worker.

In a temporary clone of the git remote at the swept commit, with the workspace's patch
applied: ``dvc pull --run-cache`` (the shared run cache: what any machine already ran is
restored, not trained), ``dvc exp run --pull -S ... --name NAME``, then ``dvc push
--run-cache`` and only after it ``dvc exp push --no-cache`` of the experiment's git ref. So an
experiment on the git remote always has its data in the DVC remote (``dvc exp push`` alone
sends the ref first), and a task cut off at any point leaves no half-pushed experiment. A
task whose experiment is already on the git remote (a retry, a rerun) reads it from there
instead of running it again: each configuration arrives once. Every git/dvc subprocess dies
with the task (its process group on an interrupt, PR_SET_PDEATHSIG if the worker is killed).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lrlab.base import layout
from lrlab.sweep import workspace
from lrlab.sweep.workspace import remote_problem

RAN, RESTORED = "Running stage '", "is cached - skipping run"
PUSH_TRIES = 3  # the git ref push, against another sweep updating the same remote


@dataclass(frozen=True)
class Job:
    """What a task needs: the configuration and where the results go."""

    index: int
    name: str
    overrides: tuple[str, ...]
    commit: str
    url: str
    patch: bytes
    local_config: str | None
    dvc_remote: str
    dvc_url: str
    variants: tuple[str, ...]  # whose metrics to bring back
    targets: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    """A task's result: ``status`` is ``trained``, ``restored`` (no stage ran), ``on remote``
    (pushed before, by an earlier attempt or sweep) or ``failed`` (with ``error``, one line)."""

    index: int
    name: str
    status: str
    metrics: dict[str, dict[str, object]] = field(default_factory=dict)
    error: str = ""
    node: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


class StepFailed(Exception):
    """A subprocess of the task failed; ``args[0]`` is its one-line error."""


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG


def one_line(output: str, fallback: str) -> str:
    """lrlab's own ``error (stage): ...`` line, else DVC's first ``ERROR:`` line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for prefix in ("error (", "ERROR:"):
        found = [line for line in lines if line.startswith(prefix)]
        if found:
            return found[0][:300]
    return (lines[-1] if lines else fallback)[:300]


def node_cache(env: dict[str, str]) -> Path:
    """The DVC cache this node's tasks share (so a retried or repeated configuration restores
    its outputs without downloading them): ``$LRLAB_SWEEP_CACHE``, else a folder in the temp
    dir."""
    return Path(env.get("LRLAB_SWEEP_CACHE") or Path(tempfile.gettempdir(), "lrlab-sweep-cache"))


def cancelled() -> bool:
    """Whether Ray was asked to cancel the task this process runs (False outside a task)."""
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return False
    try:
        return ray.get_runtime_context().is_canceled()
    except RuntimeError:  # a driver, not a task
        return False


def use_cache(repo: Path, cache: Path) -> None:
    """`dvc cache dir --local CACHE` in ``repo``, through DVC's own config code in this
    process: a DVC start-up less per task."""
    from dvc.config import Config

    with Config(dvc_dir=str(repo / ".dvc")).edit("local") as conf:
        conf["cache"]["dir"] = str(cache)


class Worker:
    """The subprocesses of one job in its clone ``repo``, each timed under its step's name."""

    def __init__(self, job: Job, repo: Path) -> None:
        self.job, self.repo = job, repo
        self.seconds: dict[str, float] = {}
        self.env = {**os.environ, "DVC_NO_ANALYTICS": "1", **job.env}

    def run(self, step: str, *cmd: str, data: bytes | None = None, check: bool = True) -> str:
        if cancelled():
            raise KeyboardInterrupt
        start = time.monotonic()
        child = subprocess.Popen(
            cmd,
            cwd=self.repo if self.repo.is_dir() else None,
            env=self.env,
            stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        try:
            out = self._wait(child, data)
        except BaseException:  # the task cancelled (KeyboardInterrupt): take its children along
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise
        self.seconds[step] = self.seconds.get(step, 0.0) + time.monotonic() - start
        said = out.decode(errors="replace")
        if check and child.returncode != 0:
            raise StepFailed(one_line(said, f"{cmd[0]} exited with {child.returncode}"), said)
        return said

    @staticmethod
    def _wait(child: subprocess.Popen[bytes], data: bytes | None) -> bytes:
        """The child's output once it exits, waking twice a second: Ray's cancellation raises
        KeyboardInterrupt only when Python code runs, never inside a blocking wait, and
        where that is inside a Ray call it can be lost, so the flag is read too."""
        while True:
            try:
                return child.communicate(data, timeout=0.5)[0]
            except subprocess.TimeoutExpired:
                data = None  # sent already
            if cancelled():
                raise KeyboardInterrupt

    def dvc(self, step: str, *args: str, check: bool = True) -> str:
        return self.run(step, sys.executable, "-m", "dvc", *args, check=check)

    def ref(self) -> str:
        """The experiment's git ref, as DVC names it: refs/exps/<baseline sha split>/<name>."""
        sha = self.job.commit
        return f"refs/exps/{sha[:2]}/{sha[2:]}/{self.job.name}"

    def pushed(self) -> bool:
        listed = self.run("clone", "git", "ls-remote", self.job.url, self.ref())
        return bool(listed.strip())

    def metrics(self, rev: str | None = None) -> dict[str, dict[str, object]]:
        """Each swept variant's metrics file, from the workspace or from git revision ``rev``."""
        found = {}
        for variant in self.job.variants:
            path = layout.metrics_file(Path("."), variant).as_posix()
            if rev is None:
                file = self.repo / path
                text = file.read_text() if file.is_file() else None
            else:
                shown = self.run("clone", "git", "show", f"{rev}:{path}", check=False)
                text = shown if shown.lstrip().startswith("{") else None
            if text:
                found[variant] = json.loads(text)
        return found


def run_job(job: Job, node: str = "") -> Outcome:
    """Run ``job`` in a temporary clone; failures of its steps become a failed
    :class:`Outcome`, an interrupt (cancellation) propagates."""
    with tempfile.TemporaryDirectory(prefix="lrlab-sweep-") as tmp:
        worker = Worker(job, Path(tmp) / "repo")
        try:
            return _run(worker, node)
        except StepFailed as exc:
            return Outcome(
                job.index, job.name, "failed", error=exc.args[0], node=node, seconds=worker.seconds
            )


def _run(worker: Worker, node: str) -> Outcome:
    job, repo = worker.job, worker.repo
    worker.run("clone", "git", "clone", "-q", "--no-checkout", job.url, str(repo))
    worker.run("clone", "git", "checkout", "-q", job.commit)
    if worker.pushed():
        worker.run("clone", "git", "fetch", "-q", "origin", worker.ref())
        return Outcome(
            job.index,
            job.name,
            "on remote",
            worker.metrics("FETCH_HEAD"),
            node=node,
            seconds=worker.seconds,
        )
    if job.patch:
        worker.run("clone", "git", "apply", "--binary", "-", data=job.patch)
    if job.local_config is not None:
        (repo / ".dvc" / "config.local").write_text(job.local_config)
    cache = node_cache(worker.env)
    use_cache(repo, cache)
    try:
        worker.dvc("pull", "pull", "--run-cache", "--allow-missing", *job.targets)
    except StepFailed as exc:
        raise StepFailed(remote_problem(job.dvc_remote, job.dvc_url, exc.args[0])) from exc
    sets = [arg for override in job.overrides for arg in ("-S", override)]
    try:
        said = worker.dvc("run", "exp", "run", "--pull", "--name", job.name, *sets, *job.targets)
    except StepFailed as exc:  # --pull reaches the remote between stages
        if workspace.remote_trouble(exc.args[0]):
            raise StepFailed(remote_problem(job.dvc_remote, job.dvc_url, exc.args[0])) from exc
        raise
    status = "trained" if RAN in said else "restored"
    metrics = worker.metrics()
    try:
        deps = ("--with-deps",) if job.targets else ()  # the targets' upstream outputs too
        worker.dvc("push", "push", "--run-cache", *deps, *job.targets)
    except StepFailed as exc:
        raise StepFailed(remote_problem(job.dvc_remote, job.dvc_url, exc.args[0])) from exc
    for attempt in range(PUSH_TRIES):
        done = worker.dvc("push", "exp", "push", "--no-cache", job.url, job.name, check=False)
        if "Pushed experiment" in done or worker.pushed():
            break
        if attempt == PUSH_TRIES - 1:
            raise StepFailed(f"dvc exp push to {job.url}: {one_line(done, 'failed')}")
        time.sleep(1 + attempt)
    return Outcome(job.index, job.name, status, metrics, node=node, seconds=worker.seconds)
