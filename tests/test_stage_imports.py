"""Stages that do not train or evaluate a model, and the `lrlab` command's gate and seeds, never
import torch or torchvision: each import costs a second or more per process. Checked in fresh
interpreters; plus the prepared-data format round trip they rely on and the stdlib CSV writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures_data import imported_after, make_dataset

from lrlab.base import layout
from lrlab.base.errors import DataError
from lrlab.core.prepared import PreparedData, load_prepared, save_prepared

REPO = Path(__file__).resolve().parents[1]


def test_modules_of_the_light_stages_import_no_torch():
    # figures imports torch lazily, only to read a model file for the figures that need one
    modules = [
        "download",
        "prepare",
        "reference",
        "figures",
        "report",
    ]
    code = "\n".join(f"import stages.{m}" for m in modules)
    assert imported_after(code, REPO) == []


def test_the_lrlab_command_and_its_gate_and_seeds_import_no_torch():
    # the parser imports every command module, as `lrlab --help` does
    code = "import lrlab.cli\nlrlab.cli.build_parser()"
    assert imported_after(code, REPO) == []


def test_the_reference_solvers_import_no_torch():
    assert imported_after("import lrlab.reference.solve, lrlab.reference.objectives", REPO) == []


def test_prepared_data_round_trips_exactly(tmp_path):
    names = ("two-clusters", "linear-toy")
    for name in names:
        data = make_dataset(name)
        path = layout.prepared_file(tmp_path, name)
        save_prepared(path, data)
        back = load_prepared(path)
        assert back.info == data.info and back.has_test == data.has_test
        for a, b in zip(data.arrays().values(), back.arrays().values(), strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
    folder = layout.prepared_file(tmp_path, names[0]).parent
    assert sorted(folder.iterdir()) == sorted(layout.prepared_file(tmp_path, n) for n in names), (
        "a temporary file was left behind"
    )


def _write(path: Path, **arrays: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("arrays", "says"),
    [
        ({"x_train": np.zeros((2, 1))}, "not a prepared dataset"),
        (
            {"x_train": np.zeros((2, 1)), "y_train": np.zeros(2), "info": np.array("[1]")},
            "'info' entry is not a JSON object",
        ),
        (
            {"x_train": np.array(["a", "b"]), "y_train": np.zeros(2), "info": np.array("{}")},
            "array 'x_train' has dtype <U1, not numbers",
        ),
    ],
)
def test_malformed_prepared_files_are_named(tmp_path, arrays, says):
    path = _write(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError, match="bad.npz") as caught:
        load_prepared(path)
    assert says in str(caught.value) and "dvc repro" in str(caught.value)


def test_damaged_and_missing_prepared_files_are_named(tmp_path):
    good = layout.prepared_file(tmp_path, "two-clusters")
    save_prepared(good, make_dataset("two-clusters"))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(Path(good).read_bytes()[:300])
    with pytest.raises(DataError, match=r"cut.npz: cannot be read .* damaged or not a NumPy"):
        load_prepared(cut)
    with pytest.raises(DataError, match=r"missing.npz: not found. Run `dvc repro`"):
        load_prepared(tmp_path / "missing.npz")


def test_map_keeps_a_missing_test_split_missing():
    data = PreparedData(np.ones((2, 1)), np.ones(2), None, None, {"name": "t"})
    doubled = data.map(lambda a: a * 2)
    assert doubled.x_test is None and doubled.y_test is None and doubled.x_train.sum() == 4


def test_write_csv_matches_pandas_and_leaves_no_temporary_file(tmp_path):
    import pandas as pd

    from lrlab.base.io import write_csv

    columns = {
        "actual": np.array([1.7, 2.0, -3.3], dtype=np.float32),
        "predicted": np.array([0.1, 1 / 3, 2.5e-20]),
        "label": np.array([1, 0, 1]),
        "epoch": [1, 2, 3],
    }
    write_csv(tmp_path / "out.csv", columns)
    assert (tmp_path / "out.csv").read_text() == pd.DataFrame(columns).to_csv(index=False)
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with pytest.raises(ValueError, match="different lengths"):
        write_csv(tmp_path / "bad.csv", {"a": [1, 2], "b": [1]})
