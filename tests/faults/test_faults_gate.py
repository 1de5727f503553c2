"""Metric-gate faults: a metrics file that is missing, unreadable or malformed fails the gate
(``lrlab gate``, exit 1) with the file named and the stage that rewrites it. The gate writes
nothing."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from faultkit import REPO, call_lrlab, run_lrlab
from repo_kit import git

from lrlab.base import layout

METRICS = {"train": {"loss": 0.25, "accuracy": 0.9}, "test": {"accuracy": 0.88}}

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def shown(variant: str) -> str:
    """A metrics file as the gate names it: relative to the repository root."""
    return layout.relative(".", layout.metrics_file(".", variant))


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository whose HEAD holds the project's rules and metrics of two variants."""
    shutil.copy(REPO / "metrics_rules.yaml", tmp_path)
    layout.metrics_file(tmp_path, "x").parent.mkdir()
    for variant in ("mnist_mlp", "two_clusters"):
        layout.metrics_file(tmp_path, variant).write_text(json.dumps(METRICS))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "baseline")
    return tmp_path


def replace_with(make):
    def damage(path: Path) -> None:
        path.unlink()
        make(path)

    return damage


# case -> (damage two_clusters' metrics file, what the message says after the file name)
DAMAGED = {
    "missing": (
        Path.unlink,
        " is in the baseline at HEAD but not in the workspace (rerun `dvc repro "
        "train@two_clusters`",
    ),
    "a-folder": (
        replace_with(Path.mkdir),
        ": cannot be read (Is a directory). Rewrite it with `dvc repro train@two_clusters`.",
    ),
    "dangling-symlink": (
        replace_with(lambda path: path.symlink_to(path.parent / "gone.json")),
        ": cannot be read (No such file or directory). Rewrite it with "
        "`dvc repro train@two_clusters`.",
    ),
    "not-utf8": (
        lambda path: path.write_bytes(b'{"train": {"loss": 0.2\xff}}'),
        " (workspace): not UTF-8 text (invalid start byte). Rewrite it with "
        "`dvc repro train@two_clusters`.",
    ),
    "empty": (
        lambda path: path.write_text(""),
        " (workspace): the file is empty, not a JSON object of metrics. Rewrite it with",
    ),
    "truncated-json": (
        lambda path: path.write_text(json.dumps(METRICS)[:20]),
        " (workspace): not valid JSON (",
    ),
    "not-an-object": (
        lambda path: path.write_text("[0.25, 0.9]"),
        " (workspace): expected a JSON object of metrics, not a list.",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_missing_or_unreadable_metrics_file_fails_the_gate_naming_it(repo, capsys, case):
    damage, says = DAMAGED[case]
    damage(layout.metrics_file(repo, "two_clusters"))
    result = call_lrlab(capsys, "gate", "--repo", repo)
    assert f"{shown('two_clusters')}{says}" in result.error
    assert result.error.startswith("error (gate): ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_metrics_file_without_read_permission_fails_the_gate(repo, capsys):
    layout.metrics_file(repo, "two_clusters").chmod(0)
    message = call_lrlab(capsys, "gate", "--repo", repo).error
    assert f"{shown('two_clusters')}: cannot be read (Permission denied)" in message


def test_a_missing_metrics_folder_names_every_file(repo, capsys):
    shutil.rmtree(layout.metrics_file(repo, "mnist_mlp").parent)
    message = call_lrlab(capsys, "gate", "--repo", repo).error
    assert "2 metric check(s) failed" in message
    for variant in ("mnist_mlp", "two_clusters"):
        assert f"{shown(variant)} is in the baseline at HEAD but not in the" in message


def test_a_malformed_baseline_is_named_with_its_revision(repo, capsys):
    path = layout.metrics_file(repo, "mnist_mlp")
    path.write_text("{")
    git(repo, "commit", "-q", "-am", "broken")
    path.write_text(json.dumps(METRICS))
    message = call_lrlab(capsys, "gate", "--repo", repo).error
    assert f"{shown('mnist_mlp')} at HEAD: not valid JSON" in message
    assert f"Compare with another revision (--rev), or commit a fixed {shown('mnist_mlp')}" in (
        message
    )


def test_the_gate_as_a_subprocess_exits_1_naming_the_file(repo):
    layout.metrics_file(repo, "mnist_mlp").write_text("{oops")
    result = run_lrlab("gate", "--repo", repo)
    assert f"{shown('mnist_mlp')} (workspace): not valid JSON" in result.error
    layout.metrics_file(repo, "mnist_mlp").write_text(json.dumps(METRICS))
    assert run_lrlab("gate", "--repo", repo).code == 0
