"""`lrlab sweep`'s checks before any Ray task starts, with no cluster: the grid as `dvc exp run
-S` reads it, each configuration against the params schema, what is swept (the commit on the
git remote and the uncommitted changes) or what to do first, and the closing table."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
import types
from pathlib import Path

import psutil
import pytest
from repo_kit import dvc, git, write_params

from lrlab.base import entrypoint
from lrlab.base.errors import ConfigError, LrlabError
from lrlab.sweep import driver, grid, table, task, workspace
from lrlab.sweep.task import Outcome, one_line

LR = "variants.linear_toy.optimizer.lr"
JOB = task.Job(1, "s-1", (), "c0ffee", "origin", b"", None, "store", "s3://b", ())  # no repo


def test_the_grid_is_every_combination_in_dvc_exp_run_syntax():
    configs = grid.configurations([f"{LR}=0.1,0.01", "seed=range(1,4)"])
    assert len(configs) == 6
    assert configs[0] == (f"{LR}=0.1", "seed=1") and configs[-1] == (f"{LR}=0.01", "seed=3")
    assert grid.changed_keys(configs) == [LR, "seed"]
    assert grid.configurations(["epochs=choice(5,7)"]) == [("epochs=5",), ("epochs=7",)]


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ([], "nothing to sweep"),
        ([f"{LR}=(0.1"], "as for `dvc exp run -S`"),
        (["other.yaml:a=1,2"], "params.yaml keys only"),
    ],
)
def test_a_grid_that_cannot_be_read_says_how_to_write_one(settings, said):
    with pytest.raises(ConfigError) as error:
        grid.configurations(settings)
    assert said in str(error.value)


@pytest.fixture
def params(tmp_path):
    write_params(tmp_path)
    return tmp_path / "params.yaml"


def test_each_configuration_is_checked_against_the_schema_by_its_number(params):
    grid.check(params, grid.configurations([f"{LR}=0.1,0.01"]))  # valid: no error
    with pytest.raises(ConfigError) as error:
        grid.check(params, grid.configurations([f"{LR}=0.1,-1"]))
    said = str(error.value)
    assert said.startswith(f"configuration 2 ({LR}=-1): params.yaml has invalid values")
    assert f"{LR} = -1" in said and "greater than 0" in said
    with pytest.raises(ConfigError, match="must exist in params.yaml") as error:
        grid.check(params, grid.configurations(["variants.linear_toy.optimizer.lrr=1"]))
    assert "configuration 1" in str(error.value)


def test_the_swept_variants_are_those_named_or_all_for_a_top_level_key():
    names = ["linear_toy", "study_hours", "two_clusters"]
    configs = grid.configurations([f"{LR}=1,2", "variants.two_clusters.epochs=3"])
    assert grid.swept_variants(configs, names) == ["linear_toy", "two_clusters"]
    assert grid.swept_variants(grid.configurations(["seed=1,2"]), names) == names


@pytest.fixture
def project(tmp_path):
    """A committed git repository with params.yaml, and a bare origin it was pushed to."""
    root, origin = tmp_path / "project", tmp_path / "origin.git"
    root.mkdir()
    write_params(root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "baseline")
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(root, "remote", "add", "origin", "../origin.git")  # relative: the workers need it whole
    git(root, "push", "-q", "origin", "main")
    return root


def test_a_clean_pushed_workspace_is_swept_as_its_commit(project):
    snapshot = workspace.take(project)
    assert snapshot.commit == git(project, "rev-parse", "HEAD").strip()
    assert snapshot.url == str((project.parent / "origin.git").resolve())
    assert snapshot.patch == b"" and not snapshot.changed and not snapshot.untracked
    assert snapshot.describe() == f"sweeping commit {snapshot.commit[:7]} (main) of {snapshot.url}"


def test_uncommitted_changes_are_swept_and_untracked_files_named(project):
    (project / "params.yaml").write_text((project / "params.yaml").read_text() + "# edited\n")
    (project / "notes.txt").write_text("mine\n")
    snapshot = workspace.take(project)
    assert b"+# edited" in snapshot.patch and snapshot.changed == ("params.yaml",)
    said = snapshot.describe()
    assert "plus the workspace's uncommitted changes to params.yaml" in said
    assert "not swept, untracked: notes.txt (git add them to include them)" in said
    assert "dvc.lock" not in said


def test_an_uncommitted_repro_says_to_commit_it_for_dvc_exp_show(project):
    (project / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    git(project, "add", "dvc.lock")
    snapshot = workspace.take(project)
    assert snapshot.changed == ("dvc.lock",)
    said = snapshot.describe()
    assert "note: dvc.lock is uncommitted, so `dvc exp show` compares" in said
    assert "git commit -am 'dvc repro' && git push origin main" in said


def test_an_unpushed_commit_says_to_push_it_first(project):
    (project / "params.yaml").write_text((project / "params.yaml").read_text() + "# edited\n")
    git(project, "commit", "-qam", "not pushed")
    with pytest.raises(LrlabError) as error:
        workspace.take(project)
    said = str(error.value)
    assert "is not on git remote 'origin'" in said and "git push origin main" in said


def test_no_git_remote_says_how_to_add_one(project):
    git(project, "remote", "remove", "origin")
    with pytest.raises(LrlabError, match="no git remote 'origin'.*git remote add origin URL"):
        workspace.take(project)


def test_not_a_repository_is_said(tmp_path):
    with pytest.raises(LrlabError, match="is not a git repository"):
        workspace.take(tmp_path)


def test_a_refused_remote_is_named_with_how_to_give_credentials():
    said = workspace.remote_problem("store", "s3://b/dvc", "An error occurred (403): Forbidden")
    assert said.startswith("DVC remote 'store' (s3://b/dvc) refused this machine's credentials")
    assert "dvc remote modify --local store" in said
    assert workspace.remote_problem("store", "s3://b", "timed out\nmore") == (
        "DVC remote 'store' (s3://b) could not be reached: timed out"
    )


def test_a_failed_step_is_one_line_lrlabs_own_error_first():
    said = (
        "Running stage 'train@x':\nerror (train): the loss became nan\nERROR: failed to reproduce"
    )
    assert one_line(said, "?") == "error (train): the loss became nan"
    assert one_line("a\nERROR: failed to push\n", "?") == "ERROR: failed to push"
    assert one_line("", "exited with 1") == "exited with 1"


def test_the_table_shows_each_configuration_its_values_and_headline_metrics():
    configs = {1: (f"{LR}=0.1", "seed=1"), 2: (f"{LR}=9", "seed=1")}
    outcomes = [
        Outcome(1, "s-1", "trained", {"linear_toy": {"train": {"loss": 0.0123456}}}),
        Outcome(2, "s-2", "failed", error="error (train): diverged"),
    ]
    lines = table.lines(outcomes, configs, [LR], ["linear_toy"])
    assert lines[0] == f"| Experiment | Status | {LR} | linear_toy train.loss |"
    assert lines[2] == "| s-1 | trained | 0.1 | 0.01235 |"
    assert lines[3] == "| s-2 | failed: error (train): diverged | 9 | — |"


def test_a_nodes_tasks_share_the_cache_lrlab_sweep_cache_names(tmp_path):
    assert task.node_cache({"LRLAB_SWEEP_CACHE": str(tmp_path)}) == tmp_path
    assert task.node_cache({}) == Path(tempfile.gettempdir(), "lrlab-sweep-cache")


def test_a_tasks_cache_is_set_as_dvc_cache_dir_local_sets_it(tmp_path):
    ours, dvcs = tmp_path / "ours", tmp_path / "dvcs"
    for repo in (ours, dvcs):
        (repo / ".dvc").mkdir(parents=True)
        (repo / ".dvc" / "config.local").write_text("[core]\n    autostage = true\n")
    task.use_cache(ours, tmp_path / "cache")
    dvc(dvcs, "cache", "dir", "--local", str(tmp_path / "cache"))
    assert (ours / ".dvc" / "config.local").read_text() == (
        (dvcs / ".dvc" / "config.local").read_text()
    )


def test_a_403_inside_a_hash_is_not_a_refusal():
    cut = "ERROR: failed to transfer 'runs/8c/587e311567f63403bef3a8': Connection refused"
    assert "could not be reached" in workspace.remote_problem("store", "s3://b/dvc", cut)
    said = workspace.remote_problem("store", "s3://b/dvc", "An error occurred (403) Forbidden")
    assert "refused this machine's credentials" in said


class Handle:
    """A task or actor, its options, its reference, the board and its ``read`` method."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self


class SwallowingRay(types.ModuleType):
    """Just enough of ``ray`` for :func:`driver.run`: its first poll receives ``signum`` and,
    like a Ray call may, swallows what the handler raised there; its third finishes the job."""

    class exceptions:  # noqa: N801 - ray.exceptions
        RayError = RayTaskError = RuntimeError

    def __init__(self, signum: int):
        super().__init__("ray")
        self.signum, self.polls, self.cancelled = signum, 0, []

    def cluster_resources(self):
        return {"CPU": 2}

    def remote(self, target):
        return Handle()

    def wait(self, refs, num_returns, timeout):
        if timeout == driver.CANCEL_GRACE_S:
            return [], refs
        self.polls += 1
        if self.polls == 1:
            try:
                os.kill(os.getpid(), self.signum)
            except KeyboardInterrupt:
                pass
        return (refs, []) if self.polls == 3 else ([], refs)

    def get(self, ref, timeout=None):
        return {} if timeout else Outcome(1, "s-1", "trained")

    def cancel(self, ref, **how):
        self.cancelled.append(how)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupt_inside_a_ray_call_is_not_lost_and_cancels_the_tasks(
    monkeypatch, signum, code
):
    """Through the entry wrapper, as `lrlab sweep` runs: its exit code says which signal."""
    fake = SwallowingRay(signum)
    monkeypatch.setitem(sys.modules, "ray", fake)
    plan = driver.Plan([JOB], workspace.Snapshot.__new__(workspace.Snapshot), [], [])
    handlers = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(SystemExit) as ended:
            entrypoint.run(lambda _: driver.run(plan, None, 0, print, print), [], "sweep")
        assert ended.value.code == code
        assert fake.polls == 1, "the sweep went on polling after the signal"
        assert fake.cancelled == [{"recursive": True}, {"force": True}]
        assert signal.getsignal(signal.SIGINT) is handlers[signal.SIGINT]
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


class CancelledTask(types.ModuleType):
    """Just enough of ``ray`` inside a task: ``ray.cancel`` was called ``after`` seconds from
    now (its KeyboardInterrupt, say, lost inside a Ray call: only the flag tells)."""

    def __init__(self, after: float):
        super().__init__("ray")
        self.at = time.monotonic() + after

    def is_initialized(self):
        return True

    def get_runtime_context(self):
        return types.SimpleNamespace(is_canceled=lambda: time.monotonic() >= self.at)


def test_a_task_cancelled_in_a_step_kills_it_and_starts_no_other(monkeypatch, tmp_path):
    worker = task.Worker(JOB, tmp_path)
    monkeypatch.setitem(sys.modules, "ray", CancelledTask(after=0.3))
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        worker.run("train", "sleep", "20.0625")
    assert time.monotonic() - started < 5, "the step ran on after its task was cancelled"
    assert not [
        p for p in psutil.process_iter(["cmdline"]) if "20.0625" in (p.info["cmdline"] or [])
    ]
    with pytest.raises(KeyboardInterrupt):  # the flag alone: no next step starts
        worker.run("push", "touch", str(tmp_path / "pushed"))
    assert not (tmp_path / "pushed").exists()
