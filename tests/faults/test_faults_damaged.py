"""Damaged intermediate files read by a later stage: a truncated or bit-flipped model file,
prepared-data file or history file stops the reading stage with one message naming the file,
what is wrong with it and the stage to rerun, and leaves that stage's outputs as they were.

Each format carries its own check: the model file and the prepared arrays are zip archives
whose members have CRC-32s (torch's reader skips them, so lrlab tests them first), and the
history CSV's SHA-256 is recorded in the model file when training ends. A seeded sweep of
single-bit flips over each whole file shows that no flip changes what a stage reads without
being reported: a flip is either refused or lands in bytes no reader uses (zip padding,
timestamps), and then the loaded contents are identical to the original."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from faultkit import call_stage
from repo_kit import trained_repo

from lrlab.base import layout
from lrlab.base.errors import LrlabError
from lrlab.base.io import UnreadableTorchFile, load_torch
from lrlab.core.outputs import read_history
from lrlab.core.prepared import load_prepared
from stages import evaluate as evaluate_stage
from stages import figures as figures_stage
from stages import train as train_stage

KEY, DATASET = "diabetes_deep", "diabetes"
FLIPS = 1000  # seeded single-bit flips per file kind in the sweep (about a second each)


@pytest.fixture(scope="module")
def good_repo(tmp_path_factory) -> Path:
    return trained_repo(tmp_path_factory.mktemp("damaged"), (DATASET,), (KEY,))


def member_data_offset(path: Path, suffix: str) -> int:
    """Offset in ``path`` (a zip archive) of the first data byte of the member whose name
    ends with ``suffix``."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(suffix))
    raw = path.read_bytes()
    name_len = int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little")
    return info.header_offset + 30 + name_len + extra_len


def flip(path: Path, position: int, bit: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 1 << bit
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_in_weights(path: Path) -> None:
    flip(path, member_data_offset(path, "data/0") + 5, 3)


def flip_in_x_train(path: Path) -> None:
    flip(path, member_data_offset(path, "x_train.npy") + 200, 3)


def flip_a_digit(path: Path) -> None:
    """A digit of the last loss becomes another digit: still a valid CSV of numbers."""
    root = path.parents[1]
    before = read_history(root, KEY)
    text = path.read_bytes()
    position = max(i for i, c in enumerate(text) if c in b"123456789")
    flip(path, position, 0)  # '1' <-> '0', '3' <-> '2', ...: bit 0 of an ASCII digit
    after = read_history(root, KEY)  # parses: only the checksum can tell
    assert not all(np.array_equal(before[k], after[k]) for k in before)


# (file, damage, stage that reads it, what the message says, stage to rerun)
CASES = {
    "model-truncated": ("model", truncate, evaluate_stage, "damaged", f"train@{KEY}"),
    "model-bit-flip": (
        "model",
        flip_in_weights,
        evaluate_stage,
        "fails its CRC-32",
        f"train@{KEY}",
    ),
    "model-bit-flip-figures": (
        "model",
        flip_in_weights,
        figures_stage,
        "fails its CRC-32",
        f"train@{KEY}",
    ),
    "prepared-truncated": ("prepared", truncate, train_stage, "damaged", f"prepare@{DATASET}"),
    "prepared-bit-flip-train": (
        "prepared",
        flip_in_x_train,
        train_stage,
        "Bad CRC-32 for file 'x_train.npy'",
        f"prepare@{DATASET}",
    ),
    "prepared-bit-flip-evaluate": (
        "prepared",
        flip_in_x_train,
        evaluate_stage,
        "Bad CRC-32 for file 'x_train.npy'",
        f"prepare@{DATASET}",
    ),
    "history-truncated": ("history", truncate, evaluate_stage, "SHA-256", f"train@{KEY}"),
    "history-digit-flip": ("history", flip_a_digit, evaluate_stage, "SHA-256", f"train@{KEY}"),
    "history-digit-flip-figures": (
        "history",
        flip_a_digit,
        figures_stage,
        "SHA-256",
        f"train@{KEY}",
    ),
}


def damaged_file(root: Path, kind: str) -> Path:
    return {
        "model": layout.model_file(root, KEY),
        "prepared": layout.prepared_file(root, DATASET),
        "history": layout.history_file(root, KEY),
    }[kind]


def outputs_of(root: Path, stage) -> list[Path]:
    if stage is train_stage:
        return [layout.model_file(root, KEY), layout.history_file(root, KEY)]
    if stage is evaluate_stage:
        return [layout.metrics_file(root, KEY), layout.predictions_file(root, KEY)]
    return sorted(layout.figures_dir(root, KEY).iterdir())


@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_file_stops_the_reading_stage_naming_file_problem_and_rerun(repo, capsys, case):
    kind, damage, stage, says, rerun = CASES[case]
    path = damaged_file(repo, kind)
    keep = {p: p.read_bytes() for p in outputs_of(repo, stage) if p != path}
    damage(path)

    outcome = call_stage(capsys, stage.main, KEY, "--root", repo)

    name = stage.__name__.rsplit(".", 1)[-1]
    message = outcome.err.strip()
    assert outcome.code == 1, message
    assert message.startswith(f"error ({name}): "), message
    rel = layout.relative(repo, path)
    assert str(path) in message or rel in message, message
    assert says in message and f"Rerun `dvc repro -s {rerun}`" in message, message
    assert "Traceback" not in outcome.err
    assert {p: p.read_bytes() for p in keep} == keep, "the stage replaced its good outputs"


def test_the_undamaged_repository_reads_cleanly(repo, capsys):
    """Guard: every stage above succeeds on the files before they are damaged."""
    for stage in (train_stage, evaluate_stage, figures_stage):
        assert call_stage(capsys, stage.main, KEY, "--root", repo).code == 0


def same_checkpoint(a: dict, b: dict) -> bool:
    tensors = ("state_dict", "initial_state_dict")
    return (
        a["config"] == b["config"]
        and a["meta"] == b["meta"]
        and all(
            a[part].keys() == b[part].keys()
            and all(torch.equal(a[part][k], b[part][k]) for k in a[part])
            for part in tensors
        )
    )


def same_prepared(a, b) -> bool:
    arrays = a.arrays().keys() == b.arrays().keys() and all(
        np.array_equal(a.arrays()[k], b.arrays()[k]) for k in a.arrays()
    )
    return arrays and a.info == b.info


def read_model(root: Path):
    return load_torch(layout.model_file(root, KEY))


def read_prepared(root: Path):
    return load_prepared(layout.prepared_file(root, DATASET), f"prepare@{DATASET}")


def read_history_checked(root: Path):
    sha = load_torch(layout.model_file(root, KEY))["meta"]["history_sha256"]
    return read_history(root, KEY, sha)


def same_history(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


SWEEPS = {
    "model": (read_model, same_checkpoint),
    "prepared": (read_prepared, same_prepared),
    "history": (read_history_checked, same_history),
}


@pytest.mark.parametrize("kind", list(SWEEPS))
def test_no_single_bit_flip_or_truncation_changes_what_is_read_unreported(repo, kind):
    read, same = SWEEPS[kind]
    path = damaged_file(repo, kind)
    good_bytes, original = path.read_bytes(), read(repo)
    rng = random.Random(2017)
    damages = [(rng.randrange(len(good_bytes)), rng.randrange(8)) for _ in range(FLIPS)]
    refused = harmless = 0
    for position, bit in damages:
        bad = bytearray(good_bytes)
        bad[position] ^= 1 << bit
        path.write_bytes(bytes(bad))
        try:
            loaded = read(repo)
        except (LrlabError, UnreadableTorchFile):
            refused += 1
            continue
        assert same(loaded, original), f"flip of bit {bit} at byte {position} read unreported"
        harmless += 1
    for length in (0, 1, 30, len(good_bytes) // 4, len(good_bytes) // 2, len(good_bytes) - 1):
        path.write_bytes(good_bytes[:length])
        with pytest.raises((LrlabError, UnreadableTorchFile)):
            read(repo)
    assert refused >= FLIPS // 2, f"only {refused} of {FLIPS} flips refused"
    print(f"{kind}: {refused} flips refused, {harmless} in bytes no reader uses")
