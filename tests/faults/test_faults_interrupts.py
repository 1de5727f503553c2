"""Ctrl-C (SIGINT) and SIGTERM in the middle of download, prepare and train: the stage prints
one line saying what was interrupted, exits 130 / 143, leaves no partial or temporary file,
and a rerun writes exactly what an uninterrupted run writes.

Each stage runs as ``python -m stages.<name>`` would, in a copy of the project under
tmp_path, and is held mid-work by its input rather than by timing: the download reads from a
named pipe in DATA_MIRROR that the test feeds half a file, prepare downloads a CSV from a
127.0.0.1 server that stalls after half the body, and train runs enough epochs that tqdm
shows progress first."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from faultkit import REPO, without_timings
from fixtures_data import files_under, idx_contents, spec_for
from repo_kit import edit_params, write_params

from lrlab.base import layout

pytestmark = pytest.mark.end_to_end
SIGNALS = {"ctrl-c": (signal.SIGINT, 130, "Ctrl-C"), "sigterm": (signal.SIGTERM, 143, "SIGTERM")}
TESTS = Path(__file__).resolve().parent


def _project(tmp_path: Path) -> Path:
    """The project's code and params.yaml (CPU, one thread) in a folder of its own."""
    root = tmp_path / "project"
    for folder in ("lrlab", "stages"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    write_params(root, lambda params: params.update(device="cpu", num_threads=1), fast=False)
    (root / "tmp").mkdir()
    return root


@pytest.fixture
def project(tmp_path) -> Path:
    return _project(tmp_path)


def environment(root: Path, **extra: str) -> dict[str, str]:
    """The stage's environment: no DATA_MIRROR of the caller's (CI sets one) unless given."""
    inherited = {k: v for k, v in os.environ.items() if k != "DATA_MIRROR"}
    return {
        **inherited,
        "PYTHONPATH": f"{root}{os.pathsep}{TESTS}{os.pathsep}{TESTS.parent}",
        "OMP_NUM_THREADS": "1",
        "TMPDIR": str(root / "tmp"),  # where prepare's download folder goes: checked empty
        **extra,
    }


def start(cmd: list[str], root: Path, env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
    log = root / "stage.log"
    with open(log, "wb") as out:
        child = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # as in a terminal's foreground job: SIGINT raises KeyboardInterrupt
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    return child, log


def interrupt(child: subprocess.Popen, log: Path, ready: Callable[[], bool], how: str) -> str:
    """Wait until ``ready()``, send the signal, and return the stage's output."""
    deadline = time.monotonic() + 60
    while not ready():
        assert child.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"never got under way:\n{log.read_text()}"
        time.sleep(0.05)
    child.send_signal(SIGNALS[how][0])
    child.wait(timeout=60)
    return log.read_text()


def check_interrupted(child: subprocess.Popen, output: str, stage: str, how: str) -> None:
    _, code, name = SIGNALS[how]
    assert child.returncode == code, output
    line = f"{stage}: interrupted ({name}); no half-written file was left. Rerun to finish."
    assert output.strip().endswith(line), output
    assert "Traceback" not in output


def run_to_end(cmd: list[str], root: Path, env: dict[str, str]) -> None:
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def contents(folder: Path) -> dict[str, bytes]:
    return {p: (folder / p).read_bytes() for p in files_under(folder) if (folder / p).is_file()}


# --- download: DATA_MIRROR's file is a named pipe fed half its bytes ----------------------

DOWNLOAD = """
import dataclasses
from fixtures_data import idx_contents, spec_for
from lrlab.datasets.kinds import mnist
mnist.SOURCE = spec_for("mnist", idx_contents(600, 100), folder="MNIST")[0]
mnist.KIND = dataclasses.replace(mnist.KIND, source=mnist.SOURCE)
from stages import download
from lrlab.base.stage_args import run
run(download.main, ["mnist", "--kind", "mnist"])
"""


@pytest.mark.parametrize("how", list(SIGNALS))
def test_an_interrupted_download_leaves_nothing_and_the_rerun_equals_a_whole_run(project, how):
    spec, published = spec_for("mnist", idx_contents(600, 100), folder="MNIST")
    mirror = project / "mirror" / "mnist"
    mirror.mkdir(parents=True)
    for name, body in published.items():
        (mirror / name).write_bytes(body)
    cmd = [sys.executable, "-c", DOWNLOAD]
    env = environment(project, DATA_MIRROR="mirror")
    raw = project / layout.RAW
    run_to_end(cmd, project, env)
    whole = contents(raw)
    assert whole, "the uninterrupted download wrote nothing"
    shutil.rmtree(raw)

    first = spec.files[0].published
    (mirror / first).unlink()
    os.mkfifo(mirror / first)
    opened = threading.Event()

    def feed() -> None:
        with open(mirror / first, "wb") as pipe:  # blocks until the download opens it
            opened.set()
            pipe.write(published[first][: len(published[first]) // 2])
            pipe.flush()
            time.sleep(1.0)  # the signal comes while the download waits for the rest

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    child, log = start(cmd, project, env)
    output = interrupt(child, log, lambda: opened.wait(0.05) and _settled(0.3), how)
    feeder.join()
    check_interrupted(child, output, "download", how)
    assert files_under(raw) == [], "the interrupted download left files behind"

    (mirror / first).unlink()
    (mirror / first).write_bytes(published[first])
    run_to_end(cmd, project, env)
    assert contents(raw) == whole


def _settled(seconds: float) -> bool:
    time.sleep(seconds)
    return True


# --- prepare: a CSV whose URL source stalls after half its body ---------------------------

CSV = "".join(f"{i % 7},{(i * 37) % 11},{'yes' if i % 3 else 'no'}\n" for i in range(400))
CSV = "a,b,label\n" + CSV


class Stalling(ThreadingHTTPServer):
    """Serves ``body``; while ``stall`` is set, only half of it, then waits for ``release``."""

    daemon_threads = True

    def __init__(self, body: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _StallingHandler)
        self.body, self.stall, self.release = body, threading.Event(), threading.Event()
        self.stalled = threading.Event()


class _StallingHandler(BaseHTTPRequestHandler):
    server: Stalling

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not self.server.stall.is_set():
            self.wfile.write(body)
            return
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.server.stalled.set()
        self.server.release.wait(30)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def csv_server() -> Iterator[Stalling]:
    server = Stalling(CSV.encode())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("how", list(SIGNALS))
def test_an_interrupted_prepare_leaves_nothing_and_the_rerun_equals_a_whole_run(
    project, csv_server, how
):
    votes = {
        "votes": {
            "kind": "csv",
            "source": f"http://127.0.0.1:{csv_server.server_port}/votes.csv",
            "sha256": hashlib.sha256(CSV.encode()).hexdigest(),
            "target": "label",
            "task": "classification",
        }
    }
    edit_params(project, lambda params: params.update(datasets=votes))
    cmd = [sys.executable, "-m", "stages.prepare", "votes"]
    env = environment(project)
    prepared = project / layout.PREPARED
    run_to_end(cmd, project, env)
    whole = contents(prepared)
    assert sorted(whole) == ["votes.json", "votes.npz"]
    shutil.rmtree(prepared)

    csv_server.stall.set()
    child, log = start(cmd, project, env)
    output = interrupt(child, log, lambda: csv_server.stalled.wait(0.05) and _settled(0.3), how)
    check_interrupted(child, output, "prepare", how)
    assert files_under(prepared) == [], "the interrupted prepare left files behind"
    assert files_under(project / "tmp") == [], "the download folder was left behind"

    csv_server.stall.clear()
    run_to_end(cmd, project, env)
    assert contents(prepared) == whole


# --- train: linear_toy for 5000 epochs (~1 s), interrupted once tqdm shows an epoch done --

EPOCHS_DONE = re.compile(r"linear_toy:\s+\d+%\|[^|]*\|\s*[1-9]\d*/")
TRAIN = [sys.executable, "-m", "stages.train", "linear_toy"]


def train_outputs(root: Path) -> list[Path]:
    return [layout.model_file(root, "linear_toy"), layout.history_file(root, "linear_toy")]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A project whose linear_toy was trained uninterrupted (the outputs to match)."""
    root = _project(tmp_path_factory.mktemp("trained"))
    long = {"epochs": 5000, "seed_sweep": 0}  # long enough to interrupt; no sweep after it
    edit_params(root, lambda params: params["variants"]["linear_toy"].update(long))
    run_to_end([sys.executable, "-m", "stages.prepare", "linear-toy"], root, environment(root))
    run_to_end(TRAIN, root, environment(root))
    return root


def same_training(a: Path, b: Path) -> None:
    """The model files hold the same weights and meta (but the timing); same history bytes."""
    model, other = (torch.load(p, weights_only=True) for p in (a, b))
    for part in ("state_dict", "initial_state_dict"):
        assert model[part].keys() == other[part].keys()
        assert all(torch.equal(model[part][k], other[part][k]) for k in model[part])
    assert without_timings(model["meta"]) == without_timings(other["meta"])  # with history_sha256


@pytest.mark.parametrize("how", list(SIGNALS))
def test_an_interrupted_training_leaves_nothing_and_the_rerun_equals_a_whole_run(
    trained, tmp_path, how
):
    root = tmp_path / "copy"
    shutil.copytree(trained, root)
    for path in train_outputs(root):
        path.unlink()
    env = environment(root)

    child, log = start(TRAIN, root, env)
    output = interrupt(child, log, lambda: bool(EPOCHS_DONE.search(log.read_text())), how)
    check_interrupted(child, output, "train", how)
    for folder in ("models", "history"):
        assert files_under(root / folder) == [], f"{folder}: partial output left"

    run_to_end(TRAIN, root, env)
    model, history = train_outputs(root)
    whole_model, whole_history = train_outputs(trained)
    assert history.read_bytes() == whole_history.read_bytes()
    same_training(model, whole_model)
