"""The sweep on Ray: one task per configuration (1 CPU, spread over the nodes), at most
``max_parallel`` at once, a task whose worker or node dies retried elsewhere up to
``retries`` times, progress on stderr, and on Ctrl-C or SIGTERM every task cancelled (its
subprocesses killed, its clone removed) before the command returns."""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lrlab.base.entrypoint import Terminated
from lrlab.base.errors import LrlabError
from lrlab.sweep import grid, workspace
from lrlab.sweep.task import Job, Outcome, one_line, run_job

CANCEL_GRACE_S = 30  # for cancelled tasks to kill their subprocesses and remove their clones
PASSED_ENV = ("DATA_MIRROR", "AWS_")  # the mirror, and AWS credentials and settings


@dataclass(frozen=True)
class Plan:
    """A checked sweep: the jobs, what they sweep, and which variants' metrics to show."""

    jobs: list[Job]
    snapshot: workspace.Snapshot
    keys: list[str]
    variants: list[str]


def plan(
    root: Path,
    settings: list[str],
    prefix: str | None = None,
    git_remote: str = "origin",
    targets: tuple[str, ...] = (),
) -> Plan:
    """Everything checked that can be before a task starts: the grid against the schema, the
    commit on the git remote, the DVC remote's credentials."""
    from lrlab.core.config import ParamsFile

    snapshot = workspace.take(root, git_remote)
    configs = grid.configurations(settings)
    params = snapshot.root / "params.yaml"
    grid.check(params, configs)
    variants = grid.swept_variants(configs, ParamsFile(params).variant_keys())
    remote = workspace.dvc_remote(snapshot.root)
    if prefix is None:
        digest = hashlib.sha256(snapshot.commit.encode() + snapshot.patch)
        digest.update(repr(configs).encode())
        prefix = f"sweep-{digest.hexdigest()[:6]}"
    env = {name: value for name, value in os.environ.items() if name.startswith(PASSED_ENV)}
    if "DATA_MIRROR" in env:  # the tasks run in clones elsewhere: a relative path means nothing
        env["DATA_MIRROR"] = str(Path(env["DATA_MIRROR"]).resolve())
    jobs = [
        Job(
            index=number,
            name=f"{prefix}-{number}",
            overrides=config,
            commit=snapshot.commit,
            url=snapshot.url,
            patch=snapshot.patch,
            local_config=snapshot.local_config,
            dvc_remote=remote.name,
            dvc_url=remote.url,
            variants=tuple(variants),
            targets=targets,
            env=env,
        )
        for number, config in enumerate(configs, 1)
    ]
    return Plan(jobs, snapshot, grid.changed_keys(configs), variants)


class Board:
    """A Ray actor the tasks tell when they start (and so when they are retried)."""

    def __init__(self) -> None:
        self.starts: dict[int, int] = {}

    def started(self, index: int) -> None:
        self.starts[index] = self.starts.get(index, 0) + 1

    def read(self) -> dict[int, int]:
        return dict(self.starts)


def _task(job: Job, board: object) -> Outcome:
    import ray

    board.started.remote(job.index)  # type: ignore[attr-defined]
    return run_job(job, ray.get_runtime_context().get_node_id())


def connect(address: str | None) -> None:
    """Join the cluster at ``address``, or start Ray on this machine alone."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    import lrlab

    # the workers run this lrlab (they need its dependencies installed; the stages the tasks
    # run import the clone's own copy): shipped, so any node runs what this machine runs
    code = {"py_modules": [str(Path(lrlab.__file__).parent)]}
    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
    quiet["runtime_env"] = code
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            os.environ.setdefault("RAY_NODE_IP_ADDRESS", "127.0.0.1")
            ray.init(address="local", _node_ip_address="127.0.0.1", **quiet)  # a new one
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise LrlabError(
            f"could not connect to {where}: {one_line(str(exc), 'no answer')}"
        ) from exc


def disconnect() -> None:
    """Leave the cluster; a Ray started by :func:`connect` stops with its processes."""
    import ray

    ray.shutdown()


def run(
    plan: Plan,
    max_parallel: int | None,
    retries: int,
    report: Callable[[Outcome, int], None],
    progress: Callable[[dict[str, int]], None],
) -> list[Outcome]:
    """Run ``plan``'s jobs on the connected cluster; ``report(outcome, attempts)`` is called as
    each finishes, ``progress(counts)`` twice a second."""
    import ray

    limit = max_parallel or max(1, int(ray.cluster_resources().get("CPU", 1)))
    task = ray.remote(_task).options(
        num_cpus=1, max_retries=retries, retry_exceptions=False, scheduling_strategy="SPREAD"
    )
    # on the head, which lives as long as the cluster (the driver's own node may be a worker)
    head = {"node:__internal_head__": 0.001}
    board = ray.remote(Board).options(num_cpus=0, resources=head).remote()
    starts: dict[int, int] = {}
    waiting, pending, outcomes = list(plan.jobs), {}, {}
    # Ctrl-C and SIGTERM only record themselves, read between polls: raised inside a Ray
    # call, the interrupt could be lost there (a sweep under load once ran to the end through one)
    received: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda got, _: received.append(got))
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while waiting or pending:
            if received:
                raise Terminated if signal.SIGTERM in received else KeyboardInterrupt
            while waiting and len(pending) < limit:
                job = waiting.pop(0)
                pending[task.remote(job, board)] = job
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
            starts = read(board, starts)
            for ref in done:
                job = pending.pop(ref)
                outcomes[job.index] = collect(ref, job)
                report(outcomes[job.index], starts.get(job.index, 1))
            running = sum(job.index in starts for job in pending.values())
            progress(
                counts(outcomes.values(), running, len(waiting) + len(pending) - running, starts)
            )
    except KeyboardInterrupt:
        cancel(list(pending))
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return [outcomes[job.index] for job in plan.jobs]


def read(board: object, last: dict[int, int]) -> dict[int, int]:
    """The board's counts; the last ones if it is gone (it lives beside this driver, and
    counts only for the progress display)."""
    import ray

    try:
        return ray.get(board.read.remote(), timeout=5)  # type: ignore[attr-defined]
    except ray.exceptions.RayError:
        return last


def collect(ref: object, job: Job) -> Outcome:
    import ray

    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:  # a bug in the task itself
        return Outcome(job.index, job.name, "failed", error=one_line(str(exc), "task failed"))
    except ray.exceptions.RayError as exc:  # its worker or node died more often than --retries
        said = one_line(str(exc), type(exc).__name__)
        return Outcome(job.index, job.name, "failed", error=f"its worker was lost: {said}")


def counts(outcomes, running: int, waiting: int, starts: dict[int, int]) -> dict[str, int]:
    seen = [outcome.status for outcome in outcomes]
    return {
        "done": sum(status != "failed" for status in seen),
        "running": running,
        "waiting": waiting,
        "failed": seen.count("failed"),
        "restored": seen.count("restored") + seen.count("on remote"),
        "retried": sum(n - 1 for n in starts.values()),
    }


def cancel(refs: list[object]) -> None:
    """Cancel ``refs``: an interrupt first (the task kills its subprocesses and removes its
    clone), then, for any still running after :data:`CANCEL_GRACE_S`, its worker killed."""
    import ray

    for ref in refs:
        ray.cancel(ref, recursive=True)
    _, left = ray.wait(refs, num_returns=len(refs), timeout=CANCEL_GRACE_S) if refs else ([], [])
    for ref in left:
        ray.cancel(ref, force=True)
    print(f"cancelled {len(refs)} running task(s)", file=sys.stderr)
