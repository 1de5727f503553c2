"""DVC remotes in S3-compatible object storage, against a real server: SeaweedFS on 127.0.0.1
(tests/s3_server.py), one for the module, in a bucket of its own with credentials of its own
that are never committed (docs/s3.md).

The team story of tests/team_story.py runs once against it (`dvc push --run-cache`, a fresh
clone's `dvc repro --pull` running no stage, `dvc exp push` / `dvc exp pull`, a third machine
restoring a configuration from the run cache), then the faults of S3 alone: the server
stopped in the middle of a push, and wrong credentials. The fault tests come last: one of
them stops and restarts the server."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from repo_kit import (
    TOY_VARIANTS,
    Remote,
    Team,
    dvc,
    environment,
    git,
    make_team,
    missing,
    run,
)
from s3_server import SeaweedS3, seaweed_s3
from team_story import (
    check_a_fresh_clone_runs_no_stage,
    check_a_sweep_travels_from_a_worker_to_the_hub_and_a_third_machine,
)

from lrlab.base import layout

pytestmark = pytest.mark.end_to_end

BIG = 110 * 2**20  # over s3fs's 100 MiB threshold: uploaded in parts (multipart upload)


@pytest.fixture(scope="module")
def s3(tmp_path_factory) -> Iterator[SeaweedS3]:
    try:
        import dvc_s3  # noqa: F401
    except ImportError:
        missing("dvc-s3, DVC's S3 support (pip install -c requirements.lock -e '.[s3]')")
    with seaweed_s3(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture(scope="module")
def team(tmp_path_factory, s3: SeaweedS3) -> Team:
    """The toy project's hub with S3 as its DVC remote, pushed with the run cache: the
    endpoint committed, the credentials in each machine's .dvc/config.local."""
    secrets = {"access_key_id": s3.access_key, "secret_access_key": s3.secret_key}
    remote = Remote(s3.url("dvc"), {"endpointurl": s3.endpoint}, secrets)
    return make_team(tmp_path_factory, tmp_path_factory.mktemp("team"), remote)


def test_the_server_listens_on_loopback_alone(s3):
    listening = s3.listening()
    assert listening, "ss -ltnp shows no socket of the weed process"
    assert all(address.startswith("127.0.0.1:") for address in listening), listening
    assert {int(address.rsplit(":", 1)[1]) for address in listening} == set(s3.ports.values())


def test_the_credentials_stay_out_of_git(team, s3):
    committed = git(team.hub, "show", "HEAD:.dvc/config")
    assert s3.endpoint in committed and s3.secret_key not in committed, committed
    assert s3.secret_key in (team.hub / ".dvc" / "config.local").read_text()
    assert git(team.hub, "check-ignore", ".dvc/config.local").strip() == ".dvc/config.local"
    assert any(key.startswith("dvc/runs/") for key in s3.keys("dvc/")), "no run cache pushed"


def test_a_fresh_clone_reproduces_everything_without_running_a_stage(team):
    check_a_fresh_clone_runs_no_stage(team)


def test_a_sweep_run_on_a_worker_reaches_the_hub_and_restores_on_a_third_machine(team):
    check_a_sweep_travels_from_a_worker_to_the_hub_and_a_third_machine(team)


def test_credentials_may_come_from_the_environment(team, s3, monkeypatch):
    machine = team.clone("from-env", secrets=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret_key)
    dvc(machine, "pull", "--allow-missing")  # the datasets were never pushed
    for key in TOY_VARIANTS:
        assert layout.model_file(machine, key).read_bytes() == (
            layout.model_file(team.hub, key).read_bytes()
        )


def test_wrong_credentials_fail_the_push_and_send_nothing(team, s3):
    """DVC says 403 Forbidden and which request failed (HeadObject, its first), not which
    remote or that the credentials are wrong: `lrlab sweep` is to say so (issue #23)."""
    machine = team.clone("wrong-key")
    dvc(machine, "remote", "modify", "--local", "store", "secret_access_key", "not-the-secret")
    (machine / "notes.txt").write_text("a file no other machine has\n")
    dvc(machine, "add", "notes.txt")
    before = s3.keys()
    done = run(machine, sys.executable, "-m", "dvc", "push", "notes.txt", check=False)
    said = done.stdout + done.stderr
    assert done.returncode != 0, said
    assert "ERROR" in said and "Forbidden" in said and "403" in said, said
    assert s3.keys() == before


def test_a_push_cut_off_by_the_server_stopping_fails_clearly_and_a_rerun_completes(
    team, s3, tmp_path
):
    """The server is killed while DVC uploads the parts of a large file. DVC's error names
    the object and the endpoint it could not reach; the remote holds no object for the file
    (the unfinished multipart upload is no object), so `dvc status --cloud` still lists it as
    new, and once the server is back the same `dvc push` uploads it whole."""
    machine = team.clone("cut-off")
    data = os.urandom(BIG)
    (machine / "big.bin").write_bytes(data)
    dvc(machine, "add", "big.bin")
    push = [sys.executable, "-m", "dvc", "push", "big.bin"]
    # one attempt a request: botocore's retries of a refused connection (up to 5, backing off)
    # under each of s3fs's 5 tries add half a minute before the same error
    once = environment(AWS_MAX_ATTEMPTS="1")
    pushing = subprocess.Popen(
        push, cwd=machine, env=once, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while not s3.client().list_multipart_uploads(Bucket=s3.bucket).get("Uploads"):
            assert pushing.poll() is None, pushing.communicate()[0].decode()
            assert time.monotonic() < deadline, "the push never started a multipart upload"
            time.sleep(0.05)
        s3.kill()
        assert not s3.ports_in_use(), "a killed server still listens"
        said = pushing.communicate(timeout=300)[0].decode()
    finally:
        if pushing.poll() is None:
            pushing.kill()
        s3.start()
    assert pushing.returncode != 0, said
    assert "ERROR: failed to push data to the cloud - 1 files failed to upload" in said, said
    assert f'Could not connect to the endpoint URL: "{s3.endpoint}/' in said, said

    digest = hashlib.md5(data).hexdigest()
    key = f"dvc/files/md5/{digest[:2]}/{digest[2:]}"
    assert key not in s3.keys("dvc/files/"), "a cut-off upload counted as an object"
    assert "new:" in dvc(machine, "status", "--cloud", "big.bin")
    assert "1 file pushed" in dvc(machine, "push", "big.bin")
    assert "in sync" in dvc(machine, "status", "--cloud", "big.bin")

    (machine / "big.bin").unlink()
    shutil.rmtree(machine / ".dvc" / "cache")  # the local copy gone too
    dvc(machine, "pull", "big.bin")
    assert hashlib.md5((machine / "big.bin").read_bytes()).hexdigest() == digest
