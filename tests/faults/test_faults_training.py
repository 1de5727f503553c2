"""Training faults at the train stage: a learning rate that diverges stops the run with an
error naming the variant, the epoch and the learning rate, and no model is written (a model
from an earlier good run stays as it was)."""

from __future__ import annotations

import pytest
from faultkit import call_stage, visible_files
from fixtures_data import write_prepared
from repo_kit import write_params

from lrlab.base import layout
from stages import train as train_stage

# variant -> (its dataset, learning rate, epochs, what the message says)
DIVERGING = {
    # the loss overflows to inf after a few steps
    "linear_toy": ("linear-toy", 1.0e6, 50, "the training loss became inf at epoch 4"),
    # one step overflows the weights; the loss of that epoch, computed before it, was finite
    "linear_15pt": ("linear-15pt", 1.0e38, 1, "became nan or infinite in the last step of epoch 1"),
    # the NumPy model of lesson 004
    "breast_cancer_numpy": ("breast-cancer", 1.0e308, 3, "the training loss became nan at epoch 2"),
}


@pytest.mark.parametrize("previous", [False, True], ids=["fresh", "over-a-good-model"])
@pytest.mark.parametrize("key", list(DIVERGING))
def test_a_diverging_learning_rate_stops_with_variant_epoch_and_lr(tmp_path, capsys, key, previous):
    dataset, lr, epochs, says = DIVERGING[key]
    write_prepared(tmp_path, dataset)
    model, history = layout.model_file(tmp_path, key), layout.history_file(tmp_path, key)
    if previous:
        write_params(tmp_path)
        assert call_stage(capsys, train_stage.main, key, "--root", tmp_path).code == 0
    before = {p: p.read_bytes() for p in (model, history) if p.exists()}
    assert len(before) == (2 if previous else 0)

    def explode(raw):
        raw["variants"][key].update(epochs=epochs)
        raw["variants"][key]["optimizer"]["lr"] = lr

    write_params(tmp_path, explode)
    message = call_stage(capsys, train_stage.main, key, "--root", tmp_path).error

    assert message.startswith(f"error (train): variant '{key}': ")
    assert says in message and f"learning rate {lr:g}" in message
    assert f"Lower variants.{key}.optimizer.lr (try {lr / 10:g})" in message
    assert f"`dvc repro -s train@{key}`. No model file was written." in message
    assert {p: p.read_bytes() for p in (model, history) if p.exists()} == before
    expected = [layout.relative(tmp_path, layout.prepared_file(tmp_path, dataset)), "params.yaml"]
    if previous:
        seeds = layout.seeds_file(tmp_path, key)  # the good run's seed sweep, also kept
        expected += [layout.relative(tmp_path, p) for p in (model, history, seeds)]
    assert visible_files(tmp_path) == sorted(expected)
