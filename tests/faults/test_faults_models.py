"""Model-file faults at the stages that load ``.pt`` files. evaluate refuses a model file that
is not an lrlab checkpoint, was written for another architecture, holds non-finite weights or
carries a pickle payload, naming the file and the stage that rebuilds it, and leaves the
previous metrics as they were. Every ``torch.load`` is ``weights_only=True``."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import torch
from faultkit import REPO, call_stage
from fixtures_data import model_file_parts
from repo_kit import trained_repo

from lrlab.base import layout
from lrlab.core.binding import resolve_widths
from lrlab.core.config import ModelConfig, ParamsFile, VariantConfig
from lrlab.core.model_file import make_checkpoint
from lrlab.core.prepared import load_prepared
from lrlab.train.models import build_model
from stages import evaluate as evaluate_stage
from stages import figures as figures_stage
from stages import train as train_stage

KEY, DATASET = "diabetes_deep", "diabetes"  # an MLP: 8-6-4-1
FIX = f"Rerun `dvc repro -s train@{KEY}`"


class Payload:
    """Unpickling this runs code: it creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture(scope="module")
def good_repo(tmp_path_factory) -> Path:
    """params, prepared data, model and metrics of KEY and linear_toy."""
    root = tmp_path_factory.mktemp("good")
    return trained_repo(root, (DATASET, "linear-toy"), (KEY, "linear_toy"))


def resolved_variant(path: Path) -> VariantConfig:
    """variants.KEY of the repository holding ``path`` (its model file), with the widths taken
    from its prepared data, as the train stage saves it."""
    root = path.parents[1]
    data = load_prepared(layout.prepared_file(root, DATASET))
    variant = ParamsFile(root / "params.yaml").variant(KEY)
    return resolve_widths(variant, data.x_train.shape[1], data.info.get("num_classes"))


def variant_config(path: Path) -> dict:
    return resolved_variant(path).model_dump()


def other_mlp():
    cfg = ModelConfig(kind="mlp", sizes=[8, 3, 1], activation="sigmoid", output="sigmoid")
    return build_model(cfg, torch.Generator().manual_seed(0))


def checkpoint(path: Path, state=None, config=None, meta=None) -> dict:
    """A well-formed checkpoint for KEY, with any part replaced."""
    variant = resolved_variant(path)
    initial = build_model(variant.model, torch.Generator().manual_seed(0)).state_dict()
    if state is None:
        state = build_model(variant.model, torch.Generator().manual_seed(1)).state_dict()
    meta = meta or {"device": "cpu", "train_seconds": 0.1, "epochs": 1, "seed": 2017}
    inputs, about = model_file_parts(DATASET, KEY)
    return make_checkpoint(state, initial, config or variant.model_dump(), meta, inputs, about)


def save(make):
    """A writer that ``torch.save``s ``make(path, tmp)`` at ``path``."""
    return lambda path, tmp: torch.save(make(path, tmp), path)


def other_config(path: Path) -> dict:
    config = variant_config(path)
    return {**config, "model": {**config["model"], "sizes": [8, 3, 1]}}


def nan_state(path: Path) -> dict:
    state = checkpoint(path)["state_dict"]
    return {k: torch.full_like(v, float("nan")) for k, v in state.items()}


# case -> (write the model file at path, what the message says)
BAD_MODELS = {
    "text-file": (
        lambda path, tmp: path.write_text("not a model\n"),
        "refused or unreadable as a weights-only model file: damaged or not written by "
        "torch.save (UnpicklingError: Unsupported operand",
    ),
    "empty-file": (
        lambda path, tmp: path.write_bytes(b""),
        "refused or unreadable as a weights-only model file: the file is empty",
    ),
    "truncated": (
        lambda path, tmp: path.write_bytes(path.read_bytes()[:700]),
        "damaged or not written by torch.save (RuntimeError: PytorchStreamReader failed",
    ),
    "a-tensor": (
        save(lambda path, tmp: torch.zeros(3)),
        "not an lrlab model file (expected a dict with keys ['about', 'config', 'format', "
        "'initial_state_dict', 'inputs', 'meta', 'state_dict'], found Tensor)",
    ),
    "a-bare-state-dict": (
        save(lambda path, tmp: other_mlp().state_dict()),
        "not an lrlab model file (expected a dict with keys ['about', 'config', 'format', "
        "'initial_state_dict', 'inputs', 'meta', 'state_dict'], found ['layers.0.bias', "
        "'layers.0.weight'",
    ),
    "state-dict-of-lists": (
        save(lambda path, tmp: {**checkpoint(path), "state_dict": {"w": [1.0, 2.0]}}),
        "'state_dict' is not a dict of tensors",
    ),
    "initial-state-dict-of-lists": (
        save(lambda path, tmp: {**checkpoint(path), "initial_state_dict": {"w": [1.0, 2.0]}}),
        "'initial_state_dict' is not a dict of tensors",
    ),
    "no-initial-state-dict": (
        save(
            lambda path, tmp: {
                k: v for k, v in checkpoint(path).items() if k != "initial_state_dict"
            }
        ),
        "written by an older lrlab, not in this lrlab's model format 2 (it lacks "
        "initial_state_dict)",
    ),
    "a-whole-module": (
        save(lambda path, tmp: other_mlp()),
        "it holds pickled Python objects (lrlab.train.models.MLP) besides tensors and plain data; "
        "lrlab loads with weights_only=True and refuses them",
    ),
    "another-architecture-config": (
        save(lambda path, tmp: checkpoint(path, other_mlp().state_dict(), other_config(path))),
        f"was trained with other settings than variants.{KEY} in params.yaml now "
        "(model.sizes: [8, 3, 1] in the file, [8, 6, 4, 1] in params.yaml)",
    ),
    "another-architecture-weights": (
        save(lambda path, tmp: checkpoint(path, other_mlp().state_dict())),
        "do not fit the model variants.diabetes_deep.model describes",
    ),
    "non-finite-weights": (
        save(lambda path, tmp: checkpoint(path, nan_state(path))),
        "layers.0.weight, layers.0.bias, layers.1.weight, layers.1.bias, layers.2.weight, "
        "layers.2.bias hold nan or infinite values",
    ),
    "pickle-payload": (
        save(lambda path, tmp: checkpoint(path, meta=Payload(tmp / "payload-ran"))),
        "it holds pickled Python objects (getattr) besides tensors and plain data",
    ),
}


@pytest.mark.parametrize("case", list(BAD_MODELS))
def test_a_bad_model_file_is_refused_by_evaluate(repo, tmp_path, capsys, case):
    write, says = BAD_MODELS[case]
    model = layout.model_file(repo, KEY)
    write(model, tmp_path)
    outputs = [layout.metrics_file(repo, KEY), layout.predictions_file(repo, KEY)]
    before = [p.read_bytes() for p in outputs]

    message = call_stage(capsys, evaluate_stage.main, KEY, "--root", repo).error

    assert message.startswith(f"error (evaluate): {model}")
    assert says in message and FIX in message
    assert [p.read_bytes() for p in outputs] == before, "evaluate overwrote the good outputs"
    assert not (tmp_path / "payload-ran").exists()


@pytest.mark.parametrize("stage", [train_stage, evaluate_stage])
def test_a_pickle_payload_in_prepared_data_is_refused(repo, tmp_path, capsys, stage):
    marker = tmp_path / "payload-ran"
    data = layout.prepared_file(repo, DATASET)
    np.savez(data, x_train=np.array([Payload(marker)], dtype=object))
    message = call_stage(capsys, stage.main, KEY, "--root", repo).error
    assert message.startswith(f"error ({stage.__name__.rsplit('.', 1)[-1]}): {data}: cannot be")
    assert "it holds pickled Python objects" in message
    assert f"Rerun `dvc repro -s prepare@{DATASET}`" in message
    assert not marker.exists()


def test_a_pickle_payload_in_a_model_file_is_refused_by_figures(repo, tmp_path, capsys):
    marker = tmp_path / "payload-ran"
    model = layout.model_file(repo, "linear_toy")
    folder = layout.figures_dir(repo, "linear_toy")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}  # drawn by evaluate
    torch.save(
        {"state_dict": {}, "initial_state_dict": {}, "config": {}, "meta": Payload(marker)}, model
    )
    message = call_stage(capsys, figures_stage.main, "linear_toy", "--root", repo).error
    rel = layout.relative(repo, model)
    assert f"{rel}: refused or unreadable as a weights-only model file: it holds pickled" in message
    assert "Rerun `dvc repro -s train@linear_toy`" in message
    assert not marker.exists()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before, "figures replaced"


def _torch_load_calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "load"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "torch"
    ]


def test_every_torch_load_is_weights_only():
    """lrlab, stages and benchmarks load .pt files only with ``weights_only=True``."""
    sources = [p for d in ("lrlab", "stages", "benchmarks") for p in (REPO / d).rglob("*.py")]
    calls = {p: _torch_load_calls(p) for p in sources}
    assert any(calls.values()), "found no torch.load at all: the scan is broken"
    for path, found in calls.items():
        for call in found:
            flags = [k for k in call.keywords if k.arg == "weights_only"]
            where = f"{path.relative_to(REPO)}:{call.lineno}"
            assert flags, f"{where}: torch.load without weights_only=True"
            value = flags[0].value
            assert isinstance(value, ast.Constant) and value.value is True, where


def test_the_good_fixture_repository_evaluates(repo, capsys):
    """Guard: the files the cases above damage are fine to start with."""
    assert call_stage(capsys, evaluate_stage.main, KEY, "--root", repo).code == 0
    assert call_stage(capsys, figures_stage.main, "linear_toy", "--root", repo).code == 0


def test_a_well_formed_checkpoint_evaluates(repo, capsys):
    """Guard: the checkpoint() the cases above break is accepted as it is."""
    model = layout.model_file(repo, KEY)
    torch.save(checkpoint(model), model)
    assert call_stage(capsys, evaluate_stage.main, KEY, "--root", repo).code == 0
