"""Data faults at the stage entry points. download: damaged mirror copies, servers that hang,
and the temporary folder a killed run leaves; prepare: damaged IDX and CSV files. Each stage
must exit 1 with one paragraph naming the file, the problem and the fix, and leave no output
(or the previous good output untouched)."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from faultkit import REPO, call_stage, run_module
from fixtures_data import (
    DIABETES_ROWS,
    EXAM_TEXT,
    files_under,
    idx_bytes,
    idx_contents,
    spec_for,
    use_source,
    write_idx_raw,
    write_mirror,
)

from lrlab.base import layout
from lrlab.datasets.fetch.sources import RemoteDataset, RemoteFile
from lrlab.datasets.kinds import diabetes, exam_scores, mnist
from stages import download as download_stage
from stages import prepare as prepare_stage

FAST = ("--timeout", "0.5", "--retries", "0")
IMAGES = "train-images-idx3-ubyte"
LABELS = "train-labels-idx1-ubyte"
EXAM = EXAM_TEXT.encode()
LABELS_OK = idx_contents()[LABELS]
KINDS = {"mnist": mnist, "exam-scores": exam_scores, "diabetes": diabetes}  # dataset -> kind


def kind_of(dataset: str) -> tuple[str, str]:
    """``("--kind", <kind>)`` for the download stage's command line."""
    return "--kind", KINDS[dataset].__name__.rsplit(".", 1)[-1]


def plain_spec(name: str, file_name: str, data: bytes, urls: tuple[str, ...] = ()):
    """A download source of one uncompressed file (like exam-scores' data.txt)."""
    item = RemoteFile(file_name, hashlib.sha256(data).hexdigest(), len(data), file_name)
    return RemoteDataset(name, urls, (item,), rows={})


def flip_byte(data: bytes, index: int) -> bytes:
    damaged = bytearray(data)
    damaged[index] ^= 0xFF
    return bytes(damaged)


# --- download: damaged mirror copies --------------------------------------------------------


def _mnist(monkeypatch):
    spec, published = spec_for("mnist", idx_contents(), folder="MNIST")
    use_source(monkeypatch, mnist, spec)
    return published


def _exam(monkeypatch):
    use_source(monkeypatch, exam_scores, plain_spec("exam-scores", "data.txt", EXAM))
    return {"data.txt": EXAM}


# case -> (dataset, published file to damage, damage, the reason the message must give)
DAMAGED = {
    "gzip-flipped-byte": (
        "mnist",
        f"{IMAGES}.gz",
        lambda data: flip_byte(data, len(data) // 2),
        r"(not valid gzip data|checksum mismatch)",
    ),
    "plain-flipped-byte": (
        "exam-scores",
        "data.txt",
        lambda data: flip_byte(data, 5),
        r"checksum mismatch for data\.txt: expected sha256 [0-9a-f]{64} \(\d+ bytes\), got",
    ),
    "gzip-truncated": (
        "mnist",
        f"{LABELS}.gz",
        lambda data: data[: len(data) // 2],
        r"truncated gzip data \(the archive ends early\)",
    ),
    "gzip-empty": (
        "mnist",
        f"{LABELS}.gz",
        lambda data: b"",
        rf"empty file: no data after decompression \(0 bytes; expected {len(LABELS_OK)} bytes\)",
    ),
    "plain-empty": (
        "exam-scores",
        "data.txt",
        lambda data: b"",
        rf"empty file: no data \(0 bytes; expected {len(EXAM)} bytes\)",
    ),
}


@pytest.mark.parametrize("previous", [False, True], ids=["fresh", "over-a-good-copy"])
@pytest.mark.parametrize("case", list(DAMAGED))
def test_damaged_mirror_copy_fails_naming_file_problem_and_fix(
    tmp_path, monkeypatch, capsys, case, previous
):
    dataset, file_name, damage, reason = DAMAGED[case]
    published = _mnist(monkeypatch) if dataset == "mnist" else _exam(monkeypatch)
    damaged = {**published, file_name: damage(published[file_name])}
    mirror = write_mirror(tmp_path / "mirror", dataset, damaged)
    monkeypatch.setenv("DATA_MIRROR", str(mirror))
    raw = tmp_path / "raw"
    if previous:
        (raw / dataset).mkdir(parents=True)
        (raw / dataset / "good.txt").write_text("the previous verified copy")
    before = files_under(raw)

    result = call_stage(
        capsys, download_stage.main, dataset, *kind_of(dataset), "--out", raw, *FAST
    )

    message = result.error
    assert message.startswith(f"error (download): Could not get {file_name} of dataset")
    assert re.search(rf"{re.escape(str(mirror / dataset / file_name))}: {reason}", message)
    assert "replace or delete a damaged mirror copy" in message and "DATA_MIRROR" in message
    assert files_under(raw) == before, "the failed download changed data/raw"
    if previous:
        assert (raw / dataset / "good.txt").read_text() == "the previous verified copy"


# --- download: servers that hang ------------------------------------------------------------


def test_silent_server_hits_the_timeout_then_the_next_url_serves(
    tmp_path, monkeypatch, capsys, http_server, silent_url
):
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    spec = plain_spec("exam-scores", "data.txt", EXAM, (silent_url, http_server.url))
    use_source(monkeypatch, exam_scores, spec)
    http_server.serve({"data.txt": EXAM})
    started = time.perf_counter()
    args = ("exam-scores", *kind_of("exam-scores"), "--out", tmp_path, *FAST)
    result = call_stage(capsys, download_stage.main, *args)
    assert result.code == 0, result.err
    assert 0.4 < time.perf_counter() - started < 10
    assert http_server.hits == ["/data/data.txt"]
    assert (tmp_path / "exam-scores" / "data.txt").read_bytes() == EXAM


def test_server_stalling_mid_body_hits_the_timeout_then_the_next_url_serves(
    tmp_path, monkeypatch, capsys, http_server, stalling_url
):
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    contents = {LABELS: idx_contents()[LABELS]}
    spec, published = spec_for("mnist", contents, (stalling_url, http_server.url), "MNIST")
    use_source(monkeypatch, mnist, spec)
    http_server.serve(published)
    args = ("mnist", *kind_of("mnist"), "--out", tmp_path, *FAST)
    result = call_stage(capsys, download_stage.main, *args)
    assert result.code == 0, result.err
    assert http_server.hits == [f"/data/{LABELS}.gz"]
    assert (tmp_path / "mnist/MNIST/raw" / LABELS).read_bytes() == contents[LABELS]


def test_every_server_hanging_fails_naming_each_timeout(
    tmp_path, monkeypatch, capsys, silent_url, stalling_url
):
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    spec = plain_spec("exam-scores", "data.txt", EXAM, (silent_url, stalling_url))
    use_source(monkeypatch, exam_scores, spec)
    raw = tmp_path / "raw"
    args = ("exam-scores", *kind_of("exam-scores"), "--out", raw, *FAST)
    message = call_stage(capsys, download_stage.main, *args).error
    assert f"{silent_url}data.txt: no answer within the 0.5 s timeout" in message
    assert f"{stalling_url}data.txt: no answer within the 0.5 s timeout" in message
    assert "Check the internet connection" in message
    assert files_under(raw) == []


# --- download: what a SIGKILL leaves behind -------------------------------------------------


def test_temp_folder_of_a_killed_download_is_removed_by_the_next_run(tmp_path, monkeypatch, capsys):
    """A download killed with SIGKILL leaves its hidden staging folder; the next run of the
    same dataset removes it (and an old-copy folder), leaving other datasets' alone."""
    mirror = tmp_path / "mirror"
    (mirror / "exam-scores").mkdir(parents=True)
    os.mkfifo(mirror / "exam-scores" / "data.txt")  # opening it blocks: the stage hangs
    raw = tmp_path / "raw"
    env = {**os.environ, "DATA_MIRROR": str(mirror), "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "stages.download", "exam-scores", *kind_of("exam-scores")]
    cmd += ["--out", str(raw)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not list(raw.glob(".exam-scores.*.tmp")) and time.monotonic() < deadline:
            assert proc.poll() is None, "the download stage exited instead of hanging"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    stale = list(raw.glob(".exam-scores.*.tmp"))
    assert len(stale) == 1 and stale[0].is_dir(), files_under(raw)
    (raw / ".exam-scores.old.abc123.tmp" / "exam-scores").mkdir(parents=True)
    (raw / ".mnist.xyz789.tmp").mkdir()  # another dataset's: not this stage's business

    (mirror / "exam-scores" / "data.txt").unlink()
    write_mirror(mirror, "exam-scores", _exam(monkeypatch))
    monkeypatch.setenv("DATA_MIRROR", str(mirror))
    args = ("exam-scores", *kind_of("exam-scores"), "--out", raw, *FAST)
    result = call_stage(capsys, download_stage.main, *args)

    assert result.code == 0, result.err
    assert files_under(raw) == [".mnist.xyz789.tmp", "exam-scores", "exam-scores/data.txt"]


# --- prepare: damaged raw files -------------------------------------------------------------


def _idx(stem: str, data: bytes):
    def damage(root: Path) -> None:  # root: the repository root
        (layout.raw_dir(root, "mnist") / "MNIST" / "raw" / stem).write_bytes(data)

    return damage


IMAGES_OK = idx_contents()[IMAGES]
IDX_FAULTS = {
    "wrong-magic": (
        IMAGES,
        _idx(IMAGES, b"\x12\x34" + IMAGES_OK[2:]),
        "not a valid IDX file for torchvision (AssertionError: wrong magic number",
    ),
    "wrong-type-code": (
        IMAGES,
        _idx(IMAGES, b"\x00\x00\x0b\x03" + IMAGES_OK[4:]),
        "not a valid IDX file for torchvision",
    ),
    "images-2d": (
        IMAGES,
        _idx(IMAGES, idx_bytes(np.zeros((6, 784), np.uint8))),
        "x should have 3 dimension instead of 2",
    ),
    "images-28x27": (
        IMAGES,
        _idx(IMAGES, idx_bytes(np.zeros((6, 28, 27), np.uint8))),
        "images are uint8 [6, 28, 27], expected uint8 [n, 28, 28]",
    ),
    "labels-2d": (
        LABELS,
        _idx(LABELS, idx_bytes(np.zeros((6, 2), np.uint8))),
        "x should have 1 dimension instead of 2",
    ),
    "images-empty": (IMAGES, _idx(IMAGES, b""), "the file is empty (0 bytes)"),
    "label-outside-0-9": (
        LABELS,
        _idx(LABELS, idx_bytes(np.array([0, 1, 2, 3, 4, 10], np.uint8))),
        "label 10 at index 5 is outside 0..9",
    ),
    "label-count": (
        LABELS,
        _idx(LABELS, idx_bytes(np.array([0, 1, 2, 3, 4], np.uint8))),
        "5 labels for 6 images",
    ),
}


def _csv(dataset: str, text: str):
    def damage(root: Path) -> None:  # root: the repository root
        (layout.raw_dir(root, dataset) / KINDS[dataset].SOURCE.files[0].output).write_text(text)

    return damage


CSV_FAULTS = {
    "missing-field": (
        "exam-scores",
        _csv("exam-scores", EXAM_TEXT + "3,,1\n"),
        "line 21: column 2 (exam 2 score): missing value",
    ),
    "short-row": (
        "exam-scores",
        _csv("exam-scores", "3,4\n" + EXAM_TEXT),
        "line 1: 2 fields, expected 3",
    ),
    "non-numeric-field": (
        "diabetes",
        _csv("diabetes", DIABETES_ROWS.replace("-0.1", "n/a", 1)),
        "line 1: column 3 (feature 3): 'n/a' is not a finite number",
    ),
    "label-2": (
        "exam-scores",
        _csv("exam-scores", EXAM_TEXT + "50,60,2\n"),
        "line 21: admitted is 2, expected 0 or 1",
    ),
    "label-negative": (
        "diabetes",
        _csv("diabetes", "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,-1\n" + DIABETES_ROWS),
        "line 1: label is -1, expected 0 or 1",
    ),
    "empty": ("diabetes", _csv("diabetes", ""), "the file is empty"),
}


@pytest.fixture
def raw_data(tmp_path):
    """A repository root (tmp_path) with good tiny raw files of mnist, exam-scores and
    diabetes where the prepare stage reads them."""
    write_idx_raw(layout.raw_dir(tmp_path, "mnist"))
    for dataset, text in (("exam-scores", EXAM_TEXT), ("diabetes", DIABETES_ROWS)):
        folder = layout.raw_dir(tmp_path, dataset)
        folder.mkdir(parents=True)
        (folder / KINDS[dataset].SOURCE.files[0].output).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("dataset", "culprit", "damage", "problem"),
    [
        ("mnist", f"MNIST/raw/{stem}", damage, problem)
        for stem, damage, problem in IDX_FAULTS.values()
    ]
    + [
        (ds, KINDS[ds].SOURCE.files[0].output, damage, problem)
        for ds, damage, problem in CSV_FAULTS.values()
    ],
    ids=[*IDX_FAULTS, *CSV_FAULTS],
)
@pytest.mark.parametrize("previous", [False, True], ids=["fresh", "over-a-good-output"])
def test_damaged_raw_file_fails_prepare_naming_file_problem_and_fix(
    raw_data, tmp_path, capsys, dataset, culprit, damage, problem, previous
):
    damage(raw_data)
    npz, info = layout.prepared_file(raw_data, dataset), layout.prepared_info(raw_data, dataset)
    out = npz.parent
    if previous:
        out.mkdir(parents=True)
        npz.write_bytes(b"previous good .npz")
        info.write_text("{}")
    params = REPO / "params.yaml"
    args = (dataset, "--params", params, "--root", raw_data)

    message = call_stage(capsys, prepare_stage.main, *args).error

    assert message.startswith(f"error (prepare): {layout.raw_dir(raw_data, dataset) / culprit}")
    assert problem in message
    assert f"rerun its download stage (`dvc repro download@{dataset}`)" in message
    if previous:
        assert npz.read_bytes() == b"previous good .npz" and info.read_text() == "{}"
        assert files_under(out) == sorted([info.name, npz.name])
    else:
        assert not out.exists()


def test_prepare_as_a_subprocess_exits_1_with_the_message(raw_data, tmp_path):
    """The same through ``python -m stages.prepare``: the real entry point and exit status."""
    _csv("exam-scores", EXAM_TEXT + "3,x,1\n")(raw_data)
    out = layout.prepared_file(raw_data, "exam-scores").parent
    result = run_module(
        "prepare", "exam-scores", "--params", REPO / "params.yaml", "--root", raw_data
    )
    message = result.error
    data_file = layout.raw_dir(raw_data, "exam-scores") / "data.txt"
    assert f"{data_file}, line 21: column 2 (exam 2 score)" in message
    assert "'x' is not a finite number" in message and "dvc repro download@exam-scores" in message
    assert not out.exists()
