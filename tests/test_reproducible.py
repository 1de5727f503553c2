"""Same seed, same machine, same bytes: running a variant's stages twice in two fresh folders
gives byte-identical outputs (history, predictions, seed sweep, figures, metrics and
reference), timings and peak memory aside; the model files hold identical tensors and
metadata but the timing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from repo_kit import trained_repo

from lrlab.base import layout

# a linear regression, a logistic regression and an MLP (shuffled mini-batches)
VARIANTS = {"linear_toy": "linear-toy", "exam_scores_builtin": "exam-scores"}
MLP = ("diabetes_deep", "diabetes")
MACHINE = ("_seconds", "_mb", "seconds")  # keys that measure the machine, not the model


def run_twice(tmp_path: Path, key: str, dataset: str) -> tuple[Path, Path]:
    roots = []
    for name in ("first", "second"):
        root = tmp_path / name
        root.mkdir()

        def batches(raw: dict) -> None:
            raw["variants"]["diabetes_deep"].update(batch_size=16, epochs=3, seed_sweep=0)

        roots.append(trained_repo(root, (dataset,), (key,), batches))
    return roots[0], roots[1]


def without_machine(obj):
    if isinstance(obj, dict):
        return {k: without_machine(v) for k, v in obj.items() if not k.endswith(MACHINE)}
    return obj


@pytest.mark.parametrize(("key", "dataset"), [*VARIANTS.items(), MLP])
def test_two_runs_write_the_same_bytes(tmp_path, key, dataset):
    a, b = run_twice(tmp_path, key, dataset)
    for path in (layout.history_file, layout.predictions_file, layout.seeds_file):
        assert path(a, key).read_bytes() == path(b, key).read_bytes(), path.__name__
    pngs = sorted(p.name for p in layout.figures_dir(a, key).glob("*.png"))
    assert pngs and pngs == sorted(p.name for p in layout.figures_dir(b, key).glob("*.png"))
    for name in pngs:
        first = (layout.figures_dir(a, key) / name).read_bytes()
        assert first == (layout.figures_dir(b, key) / name).read_bytes(), name
    for path in (layout.metrics_file, layout.reference_file):
        one, two = (json.loads(path(root, key).read_text()) for root in (a, b))
        assert without_machine(one) == without_machine(two), path.__name__
    one, two = (torch.load(layout.model_file(r, key), weights_only=True) for r in (a, b))
    for part in ("state_dict", "initial_state_dict"):
        assert all(torch.equal(one[part][k], two[part][k]) for k in one[part])
    assert without_machine(one["meta"]) == without_machine(two["meta"])
    assert one["config"] == two["config"]
