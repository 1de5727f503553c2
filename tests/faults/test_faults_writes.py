"""When the machine, not the input, fails: an OS error while writing any kind of output (model,
prepared arrays, JSON, CSV, PNG folder, Markdown, a download) is one paragraph naming what,
where, why and the fix, with nothing partial or temporary left; on a real full filesystem
too (a small tmpfs, where the machine lets root mount one). Interrupts:
test_faults_interrupts.py."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from faultkit import REPO, call_stage
from repo_kit import only_variants, write_params

from lrlab.base import io as lio
from lrlab.base.errors import WriteError
from lrlab.core.prepared import PreparedData, save_prepared
from stages import report as report_stage

WHY = {
    errno.ENOSPC: "is full",
    errno.EROFS: "mounted read-only",
    errno.EACCES: "permission denied",
    errno.EISDIR: "is a folder",
}


def prepared() -> PreparedData:
    x = np.zeros((4, 2), np.float32)
    y = np.array([0, 1, 0, 1], np.int64)
    info = {"name": "t", "task": "classification", "num_classes": 2}
    return PreparedData(x, y, None, None, info)


WRITERS = {
    "model": (lambda p: lio.save_torch(p, {"w": torch.zeros(3)}), "model.pt"),
    "prepared arrays": (lambda p: save_prepared(p, prepared()), "t.npz"),
    "JSON": (lambda p: lio.write_json(p, {"a": 1}), "m.json"),
    "CSV": (lambda p: lio.write_csv(p, {"epoch": [1, 2]}), "h.csv"),
    "Markdown": (lambda p: lio.write_text(p, "# report\n"), "report.md"),
}


def png_folder(path: Path) -> None:
    with lio.atomic_dir(path) as folder:
        lio.write_bytes(folder / "curves.png", b"\x89PNG fake")


WRITERS["PNG folder"] = (png_folder, "figures")


@pytest.mark.parametrize("code", list(WHY))
@pytest.mark.parametrize("kind", list(WRITERS))
def test_an_os_error_while_writing_is_one_clear_paragraph(tmp_path, monkeypatch, kind, code):
    write, name = WRITERS[kind]
    target = tmp_path / "out" / name

    def fail(fd):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(lio.os, "fsync", fail)  # after the bytes went out, before the rename
    with pytest.raises(WriteError) as info:
        write(target)
    message = str(info.value)
    assert message.startswith(f"cannot write {target}"), message  # a PNG: target/curves.png
    assert WHY[code] in message and "Nothing was written there." in message
    assert not target.exists()
    assert list((tmp_path / "out").iterdir()) == [], "a temporary file was left"


def test_a_folder_where_a_file_goes_is_named(tmp_path):
    target = tmp_path / "m.json"
    target.mkdir()
    with pytest.raises(WriteError, match=rf"cannot write {target}: {target} is a folder"):
        lio.write_json(target, {"a": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"] and target.is_dir()


def test_a_stage_that_cannot_write_exits_1_with_the_message(tmp_path, capsys):
    write_params(tmp_path, only_variants("linear_toy"), fast=False)
    shutil.copy(REPO / "lessons.yaml", tmp_path / "lessons.yaml")
    (tmp_path / "metrics").mkdir()
    shutil.copy(REPO / "metrics" / "linear_toy.json", tmp_path / "metrics")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "linear_toy.json").write_text('{"seeds": [], "values": {}}')
    (tmp_path / "report.md").mkdir()  # where the report goes
    outcome = call_stage(capsys, report_stage.main, "--root", tmp_path)
    assert outcome.code == 1, outcome
    assert outcome.err.strip().startswith(f"error (report): cannot write {tmp_path}/report.md")
    assert "Traceback" not in outcome.err


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs (root only; skipped where the machine does not allow mounting)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_real_full_disk_says_how_much_is_needed_and_free(small_disk):
    target = small_disk / "models" / "big.pt"
    with pytest.raises(WriteError) as info:
        lio.save_torch(target, {"w": torch.zeros(100_000)})  # ~400 KB
    message = str(info.value)
    assert f"the disk holding {target.parent} is full (" in message
    assert "bytes needed" in message and "bytes free" in message and "dvc gc" in message
    assert not any(p.is_file() for p in small_disk.rglob("*")), "something was left"


def test_a_real_read_only_filesystem_is_named(small_disk):
    (small_disk / "metrics").mkdir()
    remount = ["mount", "-o", "remount,ro", str(small_disk)]
    if subprocess.run(remount, capture_output=True).returncode != 0:
        pytest.skip("cannot remount the tmpfs read-only")
    with pytest.raises(WriteError, match="mounted read-only"):
        lio.write_json(small_disk / "metrics" / "m.json", {"a": 1})


def test_a_download_that_cannot_be_written_stops_at_once_and_leaves_nothing(tmp_path, monkeypatch):
    from fixtures_data import files_under, idx_contents, spec_for, write_mirror

    from lrlab.datasets.fetch import download as dl

    spec, published = spec_for("mnist", idx_contents(), folder="MNIST")
    mirror = write_mirror(tmp_path / "mirror", "mnist", published)
    real_open = open

    def full_disk(path, mode="r", *args, **kwargs):
        if "w" in mode:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(dl, "open", full_disk, raising=False)
    raw = tmp_path / "raw"
    with pytest.raises(WriteError) as info:
        dl.download_dataset(spec, raw / "mnist", mirror, progress=False)
    message = str(info.value)
    assert message.startswith(f"cannot write {raw}/.mnist.") and "is full (" in message
    assert f"{spec.files[0].size:,} bytes needed" in message
    assert files_under(raw) == [], "a failed download left files behind"
