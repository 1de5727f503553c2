"""`lrlab sweep` end to end: the toy project's team (git origin, an S3 remote on SeaweedFS)
sweeps on a real two-node Ray cluster, all in one loopback-only network namespace
(tests/ray_cluster.py), and every fault of issue #23: a diverging configuration, the same
sweep again, two sweeps at once, wrong S3 credentials, an unpushed commit, the S3 server
stopped during a push, Ctrl-C, and a worker node killed mid-task. One cluster, one S3 server
and one team for the file, in file order (the node is killed last)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import yaml
from ray_cluster import RayCluster, interfaces, loopback_namespace, ray_cluster
from repo_kit import Remote, Team, dvc, edit_params, environment, git, make_team, missing
from s3_server import SeaweedS3, seaweed_s3

from lrlab.base import layout

pytestmark = pytest.mark.end_to_end

LR = "variants.linear_toy.optimizer.lr"
EPOCHS = "variants.linear_toy.epochs"
SEED = "variants.linear_toy.seed_offset"
TARGET = "report"  # the toy variants' part of the pipeline: no dataset to download
SLOW = 20_000  # epochs of linear_toy that keep a task training for a while
LINE = re.compile(r"^  (\S+): (.*) \((?:node (\w+))?.*\)$", re.M)  # a finished configuration


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[tuple[Team, RayCluster, SeaweedS3]]:
    try:
        import dvc_s3  # noqa: F401
    except ImportError:
        missing("dvc-s3 (pip install -c requirements.lock -e '.[s3]')")
    root = tmp_path_factory.mktemp("sweep")
    with loopback_namespace(), pytest.MonkeyPatch.context() as env:
        # the nodes' and the tasks' own cache: not one an earlier run left (it would restore)
        env.setenv("LRLAB_SWEEP_CACHE", str(root / "node-cache"))
        with seaweed_s3(root / "s3") as s3, ray_cluster(root / "ray", nodes=2) as cluster:
            secrets = {"access_key_id": s3.access_key, "secret_access_key": s3.secret_key}
            remote = Remote(s3.url("dvc"), {"endpointurl": s3.endpoint}, secrets)
            yield make_team(tmp_path_factory, root / "team", remote), cluster, s3


def sweep(repo: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "lrlab.cli", "sweep", *args]
    return subprocess.run(
        cmd, cwd=repo, env=environment(), capture_output=True, text=True, timeout=timeout
    )


def start(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "lrlab.cli", "sweep", *args]
    return subprocess.Popen(
        cmd,
        cwd=repo,
        env=env or environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(said: str) -> dict[str, tuple[str, str | None]]:
    """Each finished configuration's status line and node, from the sweep's stderr."""
    lines = said.replace("\r", "\n")  # tqdm redraws its bar after a carriage return
    return {name: (what, node) for name, what, node in LINE.findall(lines)}


def rows(out: str) -> dict[str, list[str]]:
    """The closing table, by experiment name."""
    lines = [line for line in out.splitlines() if line.startswith("| ") and "| --- |" not in line]
    cells = [line.strip("|").split(" | ") for line in lines]
    return {row[0].strip(): [c.strip() for c in row[1:]] for row in cells[1:]}


def experiments(team: Team) -> list[str]:
    """The experiments' names on the git remote, one per ref (a duplicate shows twice)."""
    refs = git(team.origin, "for-each-ref", "--format=%(refname)", "refs/exps").split()
    return sorted(ref.rsplit("/", 1)[1] for ref in refs)


def running_command(pids: set[int] | list[psutil.Process], text: str) -> list[psutil.Process]:
    """Those of ``pids`` whose command line holds ``text``."""
    found = []
    for item in pids:
        try:
            process = item if isinstance(item, psutil.Process) else psutil.Process(item)
            if text in " ".join(process.cmdline()):
                found.append(process)
        except psutil.Error:
            pass
    return found


TRAIN, PUSH = "stages.train", "-m dvc push --run-cache"  # a task's train stage; its data push


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what}: not in {timeout} s"
        time.sleep(0.1)
    return found


@pytest.fixture(scope="module")
def first(world):
    """A laptop's sweep of three learning rates, one of which diverges, with an uncommitted
    params.yaml edit (60 epochs, not the committed 50), on both nodes."""
    team, cluster, _ = world
    laptop = team.clone("laptop")
    edit_params(laptop, lambda raw: raw["variants"]["linear_toy"].update(epochs=60))
    args = ("--address", cluster.address, "--name", "lr", "-S", f"{LR}=0.01,0.02,1e6", TARGET)
    return laptop, args, sweep(laptop, *args)


def test_a_sweep_runs_on_both_nodes_and_a_diverging_configuration_fails_alone(world, first):
    team, _, _ = world
    laptop, _, done = first
    assert done.returncode == 1, done.stderr
    assert "plus the workspace's uncommitted changes to params.yaml" in done.stderr
    lines = finished(done.stderr)
    assert lines["lr-1"][0] == lines["lr-2"][0] == "trained", done.stderr
    assert lines["lr-3"][0].startswith("error (train): variant 'linear_toy': the training loss")
    assert len({node for _, node in lines.values()}) == 2, f"one node did all:\n{done.stderr}"
    table = rows(done.stdout)
    assert [table[name][:2] for name in ("lr-1", "lr-2")] == [
        ["trained", "0.01"],
        ["trained", "0.02"],
    ]
    assert table["lr-3"][0].startswith("failed: error (train)") and table["lr-3"][2] == "—"
    assert "1 of 3 configuration(s) failed" in done.stderr
    assert experiments(team) == ["lr-1", "lr-2"]


def test_another_machine_pulls_the_sweep_with_its_data(world, first):
    team, _, _ = world
    laptop, _, done = first
    desk = team.clone("desk")
    dvc(desk, "exp", "pull", "origin", "lr-2")  # the experiment's ref, and its data from S3
    ref = git(desk, "for-each-ref", "--format=%(refname)", "refs/exps").split()
    assert [name.rsplit("/", 1)[1] for name in ref] == ["lr-2"]
    params = yaml.safe_load(git(desk, "show", f"{ref[0]}:params.yaml"))
    assert params["variants"]["linear_toy"]["epochs"] == 60, "the uncommitted edit not swept"
    metrics = json.loads(
        git(
            desk,
            "show",
            f"{ref[0]}:{layout.relative(desk, layout.metrics_file(desk, 'linear_toy'))}",
        )
    )
    assert f"{metrics['train']['loss']:.4g}" == rows(done.stdout)["lr-2"][2]
    lock = yaml.safe_load(git(desk, "show", f"{ref[0]}:dvc.lock"))
    model = layout.relative(desk, layout.model_file(desk, "linear_toy"))
    (md5,) = [
        out["md5"] for out in lock["stages"]["train@linear_toy"]["outs"] if out["path"] == model
    ]
    assert (desk / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).is_file()


def test_the_same_sweep_again_runs_nothing_and_a_renamed_one_restores_everything(world, first):
    team, cluster, _ = world
    laptop, args, _ = first
    again = sweep(laptop, *args)
    lines = finished(again.stderr)
    assert lines["lr-1"][0] == lines["lr-2"][0] == "on remote", again.stderr
    assert lines["lr-3"][0].startswith("error (train)"), "the failed one is retried"
    renamed = sweep(
        laptop, "--address", cluster.address, "--name", "re", "-S", f"{LR}=0.01,0.02", TARGET
    )
    assert renamed.returncode == 0, renamed.stderr
    assert {what for what, _ in finished(renamed.stderr).values()} == {"restored"}, renamed.stderr
    assert experiments(team) == ["lr-1", "lr-2", "re-1", "re-2"], "each arrives once"


def test_two_sweeps_pushing_to_one_git_remote_at_once_both_arrive(world):
    team, cluster, _ = world
    one, two = team.clone("one"), team.clone("two")
    runs = [
        start(
            repo,
            "--address",
            cluster.address,
            "--name",
            name,
            "-S",
            seeds,
            TARGET,
        )
        for repo, name, seeds in ((one, "one", f"{SEED}=1"), (two, "two", f"{SEED}=3"))
    ]
    said = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], said
    assert {"one-1", "two-1"} <= set(experiments(team))


def test_wrong_s3_credentials_stop_the_sweep_before_it_starts_naming_the_remote(world):
    team, cluster, s3 = world
    machine = team.clone("wrong-key")
    dvc(machine, "remote", "modify", "--local", "store", "secret_access_key", "not-the-secret")
    done = sweep(machine, "--address", cluster.address, "-S", f"{SEED}=5,6", TARGET, timeout=120)
    assert done.returncode == 1
    assert f"DVC remote 'store' ({s3.url('dvc')}) refused this machine's credentials" in done.stderr
    assert "dvc remote modify --local store" in done.stderr and "sweep:" not in done.stderr


def test_an_unpushed_commit_says_to_push_it_first(world):
    team, cluster, _ = world
    machine = team.clone("unpushed")
    edit_params(machine, lambda raw: raw["variants"]["linear_toy"].update(epochs=70))
    git(machine, "commit", "-qam", "seventy epochs")
    done = sweep(machine, "--address", cluster.address, "-S", f"{SEED}=5,6", TARGET, timeout=120)
    assert done.returncode == 1
    assert "is not on git remote 'origin'" in done.stderr and "git push origin main" in done.stderr


def test_the_s3_server_stopped_during_a_push_fails_clearly_and_a_rerun_completes(world):
    """The server is killed as the task's `dvc push` starts: the configuration fails naming
    the remote, its experiment is not on the git remote (its ref is pushed after its data),
    and the same sweep, once the server is back, completes it."""
    team, cluster, s3 = world
    machine = team.clone("cut-off")
    args = ("--address", cluster.address, "--name", "cut", "-S", f"{SEED}=7", TARGET)
    quick = {**environment(), "AWS_MAX_ATTEMPTS": "2"}  # to the tasks: botocore gives up sooner
    running = start(machine, *args, env=quick)
    try:
        wait_for(lambda: running_command(cluster.pids(), PUSH), 300, "the task's push")
        s3.kill()
        out, err = running.communicate(timeout=600)
    finally:
        if running.poll() is None:
            running.kill()
        s3.start()
    assert running.returncode == 1, err
    assert f"cut-1: DVC remote 'store' ({s3.url('dvc')}) could not be reached" in err, err
    assert "cut-1" not in experiments(team), "an experiment without its data"
    rerun = sweep(machine, *args)
    assert rerun.returncode == 0, rerun.stderr
    assert finished(rerun.stderr)["cut-1"][0] in ("trained", "restored"), rerun.stderr
    assert experiments(team).count("cut-1") == 1


def test_ctrl_c_cancels_every_task_and_leaves_no_half_pushed_experiment(world, tmp_path):
    """Without --address: Ray on this machine alone, started by the sweep."""
    team, _, _ = world
    machine = team.clone("ctrl-c")
    env = {k: v for k, v in environment().items() if k != "RAY_ADDRESS"}
    clones_before = set(Path("/tmp").glob("lrlab-sweep-*"))
    running = start(machine, "--name", "stop", "-S", f"{EPOCHS}={SLOW},{SLOW + 1}", TARGET, env=env)
    driver = psutil.Process(running.pid)
    try:
        trains = wait_for(
            lambda: running_command(driver.children(recursive=True), TRAIN), 300, "training"
        )
        assert interfaces() == ["lo"]
        tree = driver.children(recursive=True)
        running.send_signal(signal.SIGINT)
        out, err = running.communicate(timeout=120)
    finally:
        if running.poll() is None:
            running.kill()
    assert running.returncode == 130, err
    assert "sweep interrupted: its running tasks were cancelled" in err, err
    _, alive = psutil.wait_procs(tree, timeout=30)  # Ray's own processes end just after it
    assert trains and not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], alive
    assert set(Path("/tmp").glob("lrlab-sweep-*")) == clones_before, "a clone was left"
    assert not [name for name in experiments(team) if name.startswith("stop-")], err


def test_a_worker_node_killed_mid_task_is_retried_and_each_result_arrives_once(world):
    """Two configurations, one at a time, while the head's CPU is held: the first (a long
    training) can only train on the worker node, which is then killed; with the head free
    again, that task is retried there, and then the second (a short one) runs there."""
    team, cluster, _ = world
    assert cluster.nodes[1].node_id in cluster.alive().values(), "the worker node is gone"
    machine = team.clone("node-lost")
    args = ("--address", cluster.address, "--max-parallel", "1", "--retries", "1", "--name", "lost")
    running = None
    try:
        with cluster.busy(0):
            running = start(machine, *args, "-S", f"{EPOCHS}={SLOW + 2},62", TARGET)
            on_worker = wait_for(
                lambda: (
                    running.poll() is not None or running_command(cluster.nodes[1].pids(), TRAIN)
                ),
                300,
                "training on the worker node",
            )
            if running.poll() is not None:
                nodes = {node.node_id[:8]: len(node.pids()) for node in cluster.nodes}
                pytest.fail(
                    f"the sweep ended before the node was killed (nodes and their process "
                    f"counts: {nodes}):\n{running.stderr.read()}"
                )
            cluster.kill_node(1)
        out, err = running.communicate(timeout=600)
    finally:
        if running and running.poll() is None:
            running.kill()
    assert on_worker and running.returncode == 0, err
    lines = finished(err)
    assert sorted(lines) == ["lost-1", "lost-2"] and "attempt 2" in err, err
    assert {what for what, _ in lines.values()} == {"trained"}
    assert {node for _, node in lines.values()} == {cluster.nodes[0].node_id[:8]}, err
    assert sorted(rows(out)) == ["lost-1", "lost-2"]
    assert [n for n in experiments(team) if n.startswith("lost-")] == ["lost-1", "lost-2"]
