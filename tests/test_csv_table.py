"""A user's own CSV as a dataset (kind: csv): its settings, and prepare_csv checked against
scikit-learn's train_test_split/StandardScaler and pandas.get_dummies, plus its error messages."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from lrlab.base.errors import ConfigError, DataError
from lrlab.core.params_errors import parse_section
from lrlab.core.prepared import load_prepared, save_prepared
from lrlab.datasets.csv_table import prepare_csv, verify_sha256
from lrlab.datasets.kinds.csv import Settings as CsvSettings
from lrlab.datasets.kinds.csv import is_url

SHA = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256(b"abc")


def cfg(**settings) -> CsvSettings:
    raw = {"kind": "csv", "source": "data/external/t.csv", "target": "y", **settings}
    raw.setdefault("task", "classification")
    return parse_section("datasets.t", CsvSettings, raw)


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def frame_csv(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    return path


def mixed_frame(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(3, 2, n).round(3),
            "colour": rng.choice(["red", "green", "blue"], n),
            "b": rng.integers(0, 100, n),
            "unused": rng.normal(size=n),
            "y": rng.choice(["setosa", "virginica", "versicolor"], n),
        }
    )


def data_error(tmp_path: Path, text: str, **settings) -> str:
    with pytest.raises(DataError) as info:
        prepare_csv("t", write(tmp_path, text), cfg(**settings), seed=0)
    return str(info.value)


# --- preparation against independent references -------------------------------------------


def test_classification_matches_sklearn_split_scaler_and_get_dummies(tmp_path):
    frame = mixed_frame()
    path = frame_csv(tmp_path, frame)
    settings = {"features": ["a", "colour", "b"], "categorical": ["colour"], "test_fraction": 0.25}
    data = prepare_csv("t", path, cfg(**settings), seed=7)

    ref = pd.read_csv(path)
    dummies = pd.get_dummies(ref["colour"], dtype=float)
    x = np.column_stack([ref["a"], dummies.to_numpy(), ref["b"]]).astype(np.float64)
    y = np.searchsorted(np.array(["setosa", "versicolor", "virginica"]), ref["y"])
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=7, stratify=y)
    numeric = [0, 4]
    scaler = StandardScaler().fit(x_tr[:, numeric])
    x_tr[:, numeric], x_te[:, numeric] = (
        scaler.transform(x_tr[:, numeric]),
        scaler.transform(x_te[:, numeric]),
    )

    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    np.testing.assert_allclose(data.x_train, x_tr, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(data.x_test, x_te, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(data.y_train, y_tr)
    np.testing.assert_array_equal(data.y_test, y_te)
    info = data.info
    assert info["feature_names"] == ["a", "colour=blue", "colour=green", "colour=red", "b"]
    assert list(dummies.columns) == ["blue", "green", "red"]
    assert info["categories"] == {"colour": ["blue", "green", "red"]}
    assert info["class_names"] == ["setosa", "versicolor", "virginica"]
    assert info["num_classes"] == 3 and info["split"] == "stratified"
    assert info["rows"] == {"read": 40, "dropped": 0} and info["source"] == "data/external/t.csv"
    np.testing.assert_allclose(np.array(info["normalization"]["mean"])[numeric], scaler.mean_)
    np.testing.assert_allclose(np.array(info["normalization"]["std"])[numeric], scaler.scale_)
    assert np.array(info["normalization"]["mean"])[1:4].tolist() == [0.0, 0.0, 0.0]
    assert np.array(info["normalization"]["std"])[1:4].tolist() == [1.0, 1.0, 1.0]
    assert info["class_counts"]["train"] == np.bincount(y_tr, minlength=3).tolist()


def test_default_features_are_every_column_but_target_in_csv_order(tmp_path):
    frame = mixed_frame().drop(columns="colour")
    data = prepare_csv("t", frame_csv(tmp_path, frame), cfg(test_fraction=None), seed=0)
    assert data.info["feature_names"] == ["a", "b", "unused"]
    assert data.x_test is None and data.info["split"] == "none"
    scaled = StandardScaler().fit_transform(frame[["a", "b", "unused"]].to_numpy(float))
    np.testing.assert_allclose(data.x_train, scaled, rtol=1e-5, atol=1e-5)


def test_regression_random_split_without_standardizing(tmp_path):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x1": rng.normal(size=30), "x2": rng.normal(size=30)})
    frame["y"] = 2 * frame["x1"] - frame["x2"] + 0.5
    path = frame_csv(tmp_path, frame)
    data = prepare_csv("t", path, cfg(task="regression", standardize=False), seed=3)
    ref = pd.read_csv(path)
    x_tr, x_te, y_tr, y_te = train_test_split(
        ref[["x1", "x2"]].to_numpy(), ref["y"].to_numpy(), test_size=0.2, random_state=3
    )
    assert data.y_train.dtype == np.float32 and data.info["split"] == "random"
    np.testing.assert_allclose(data.x_train, x_tr, rtol=1e-6)
    np.testing.assert_allclose(data.x_test, x_te, rtol=1e-6)
    np.testing.assert_allclose(data.y_train, y_tr, rtol=1e-6)
    np.testing.assert_allclose(data.y_test, y_te, rtol=1e-6)
    assert data.info["normalization"] is None and data.info["num_classes"] is None


def test_level_seen_only_in_test_part_still_has_a_column(tmp_path):
    rows = [f"{i},{'rare' if i == 0 else 'common'},{i % 2}" for i in range(20)]
    path = write(tmp_path, "x,c,y\n" + "\n".join(rows) + "\n")
    settings = {"categorical": ["c"], "test_fraction": 0.5}
    data = prepare_csv("t", path, cfg(**settings), seed=0)
    assert data.info["feature_names"] == ["x", "c=common", "c=rare"]
    assert data.x_train.shape[1] == data.x_test.shape[1] == 3
    rare_total = data.x_train[:, 2].sum() + data.x_test[:, 2].sum()
    assert rare_total == 1.0


def test_text_and_numeric_labels_sort(tmp_path):
    path = write(tmp_path, "x,y\n1,b\n2,c\n3,a\n4,b\n")
    data = prepare_csv("t", path, cfg(test_fraction=None, standardize=False), seed=0)
    assert data.info["class_names"] == ["a", "b", "c"]
    assert data.y_train.tolist() == [1, 2, 0, 1]
    path = write(tmp_path, "x,y\n1,10\n2,2\n3,10\n4,2\n")
    data = prepare_csv("t", path, cfg(test_fraction=None, standardize=False), seed=0)
    assert data.info["class_names"] == ["2", "10"]
    assert data.y_train.tolist() == [1, 0, 1, 0]


def test_missing_drop_removes_rows_with_na_in_used_columns_only(tmp_path):
    text = "a,b,note,y\n1,2,,0\n,3,x,1\n4,NA,x,0\n5,6,x,1\n7, null ,x,0\n8,9,?,1\n10,11,x,n/a\n"
    settings = {"features": ["a", "b"], "missing": "drop", "test_fraction": None}
    data = prepare_csv("t", write(tmp_path, text), cfg(standardize=False, **settings), seed=0)
    assert data.x_train.tolist() == [[1, 2], [5, 6], [8, 9]]
    assert data.y_train.tolist() == [0, 1, 1]
    assert data.info["rows"] == {"read": 7, "dropped": 4}


def test_constant_column_gets_std_one_and_blank_lines_are_skipped(tmp_path):
    path = write(tmp_path, "a,k,y\n1,5,0\n\n2,5,1\n3,5,0\n4,5,1\n")
    data = prepare_csv("t", path, cfg(test_fraction=None), seed=0)
    assert data.info["normalization"]["std"][1] == 1.0
    assert data.x_train[:, 1].tolist() == [0.0] * 4
    assert data.info["rows"]["read"] == 4


def test_same_input_and_seed_give_identical_arrays(tmp_path):
    path = frame_csv(tmp_path, mixed_frame(60))
    settings = {"categorical": ["colour"]}
    first, second = (prepare_csv("t", path, cfg(**settings), seed=11) for _ in range(2))
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, key), getattr(second, key))
    assert first.info == second.info
    other = prepare_csv("t", path, cfg(**settings), seed=12)
    assert not np.array_equal(first.y_train, other.y_train)


def test_info_round_trips_through_save_prepared(tmp_path):
    path = frame_csv(tmp_path, mixed_frame())
    data = prepare_csv("t", path, cfg(categorical=["colour"]), seed=0)
    save_prepared(tmp_path / "t.npz", data)
    assert load_prepared(tmp_path / "t.npz").info == data.info


# --- data errors --------------------------------------------------------------------------


def test_empty_and_header_only_files(tmp_path):
    assert "empty (0 bytes)" in data_error(tmp_path, "")
    message = data_error(tmp_path, "x,y\n")
    assert "no data rows" in message and "t.csv" in message
    assert "no data rows" in data_error(tmp_path, "x,y\n\n\n")


def test_missing_column_suggests_nearest(tmp_path):
    message = data_error(tmp_path, "x,species\n1,a\n", target="Species")
    assert "target column 'Species'" in message and "did you mean 'species'?" in message
    assert "'x', 'species'" in message and "datasets.t.target" in message
    message = data_error(tmp_path, "width,y\n1,a\n", features=["widht"])
    assert "did you mean 'width'?" in message and "datasets.t.features" in message
    message = data_error(tmp_path, "width,y\n1,a\n", categorical=["kind"])
    assert "categorical column 'kind'" in message


def test_non_numeric_feature_names_line_column_and_value(tmp_path):
    message = data_error(tmp_path, "a,b,y\n1,2,0\n3,4,1\n5,abc,0\n")
    assert "line 4, column 'b': 'abc'" in message and "datasets.t.categorical" in message


def test_line_numbers_count_blank_lines_and_quoted_newlines(tmp_path):
    text = 'a,note,y\n1,"two\nlines",0\n\n2,x,1\n3,x,0\nzz,x,1\n'
    message = data_error(tmp_path, text, features=["a"])
    expected = text.splitlines().index("zz,x,1") + 1
    assert expected == 7 and f"line {expected}, column 'a': 'zz'" in message


def test_missing_cells_under_error_listed_with_count(tmp_path):
    rows = "\n".join(f"{'' if i % 2 else i},{i},{i % 2}" for i in range(20))
    message = data_error(tmp_path, "a,b,y\n" + rows + "\n")
    assert "10 empty or missing" in message and "line 3, column 'a'" in message
    assert "(and 5 more)" in message and "missing: drop" in message


def test_missing_drop_that_leaves_nothing(tmp_path):
    message = data_error(tmp_path, "a,y\n,0\nNA,1\n", missing="drop")
    assert "leaves none" in message


def test_regression_target_and_non_finite_values(tmp_path):
    message = data_error(tmp_path, "a,y\n1,2.5\n2,high\n", task="regression")
    assert "line 3, column 'y': 'high'" in message and "task: classification" in message
    message = data_error(tmp_path, "a,y\n1,2.5\n2,inf\n", task="regression")
    assert "not finite" in message and "line 3" in message
    message = data_error(tmp_path, "a,y\n1,0\n-Infinity,1\n")
    assert "not finite" in message and "line 3, column 'a'" in message


def test_single_class_and_impossible_split(tmp_path):
    message = data_error(tmp_path, "a,y\n1,cat\n2,cat\n")
    assert "single class" in message and "'cat'" in message
    message = data_error(tmp_path, "a,y\n1,0\n2,0\n3,0\n4,1\n", test_fraction=0.5)
    assert "cannot split" in message and "datasets.t.test_fraction" in message


def test_ragged_rows_and_duplicate_columns(tmp_path):
    assert "well-formed" in data_error(tmp_path, "a,y\n1,0\n1,2,3\n")
    assert "more than one column named 'a'" in data_error(tmp_path, "a,a,y\n1,2,0\n")


# --- config and checksum ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "key", "text"),
    [
        ({"source": "https://example.org/t.csv"}, "datasets.t.sha256", "required"),
        ({"source": "http://example.org/t.csv", "sha256": SHA}, "datasets.t.source", "https"),
        ({"source": "ftp://example.org/t.csv", "sha256": SHA}, "datasets.t.source", "https"),
        ({"source": "/etc/t.csv"}, "datasets.t.source", "relative"),
        ({"source": "C:/data/t.csv"}, "datasets.t.source", "relative"),
        ({"source": "data/../../t.csv"}, "datasets.t.source", "'..'"),
        ({"source": "my.csv"}, "datasets.t.source", "under data/external/"),
        ({"source": "data/raw/my.csv"}, "datasets.t.source", "e.g. data/external/my.csv"),
        ({"source": "data/external/"}, "datasets.t.source", "under data/external/"),
        ({"sha256": "abc"}, "datasets.t.sha256", "64 hexadecimal"),
        ({"sha256": "g" * 64}, "datasets.t.sha256", "64 hexadecimal"),
        ({"features": ["a", "y"]}, "datasets.t.features", "target"),
        ({"features": ["a"], "categorical": ["b"]}, "datasets.t.categorical", "not among"),
        ({"categorical": ["y"]}, "datasets.t.categorical", "target"),
        ({"missing": "fill"}, "datasets.t.missing", "error"),
        ({"test_fraction": 1.5}, "datasets.t.test_fraction", "less than 1"),
        ({"colour": 1}, "datasets.t.colour", "unknown key"),
    ],
)
def test_config_errors_name_the_key(settings, key, text):
    with pytest.raises(ConfigError) as info:
        cfg(**settings)
    assert key in str(info.value) and text in str(info.value)


def test_valid_config_and_is_url():
    assert cfg(source="./data/external//sub/t.csv").source == "data/external/sub/t.csv"
    assert cfg(source="http://127.0.0.1:8000/t.csv", sha256=SHA).sha256 == SHA  # a local server
    url = cfg(source="https://example.org/t.csv", sha256=SHA.upper())
    assert url.sha256 == SHA and is_url(url.source)
    local = cfg(sha256=SHA)
    assert not is_url(local.source) and local.features is None and local.test_fraction == 0.2
    assert is_url("http://x/y.csv") and not is_url("data/external/x.csv")


def test_verify_sha256(tmp_path):
    path = write(tmp_path, "abc")
    verify_sha256(path, SHA.upper(), "t")
    assert hashlib.sha256(b"abc").hexdigest() == SHA
    with pytest.raises(DataError) as info:
        verify_sha256(path, "0" * 64, "t")
    message = str(info.value)
    assert f"checksum mismatch for {path}: expected {'0' * 64} got {SHA}" in message
    assert f"datasets.t.sha256: {SHA}" in message


def test_spaces_are_stripped_and_equal_numeric_labels_merge(tmp_path):
    path = write(tmp_path, "x , y\n 1 , 1.0\n2,1\n3, 2\n4,2\n")
    data = prepare_csv("t", path, cfg(test_fraction=None, standardize=False), seed=0)
    assert data.info["class_names"] == ["1", "2"] and data.y_train.tolist() == [0, 0, 1, 1]
    assert data.x_train[:, 0].tolist() == [1, 2, 3, 4]


def test_not_utf8_and_na_value_shown(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,y\n\xe9,1\n")
    with pytest.raises(DataError, match="UTF-8"):
        prepare_csv("t", path, cfg(), seed=0)
    assert "line 3, column 'a': 'NA'" in data_error(tmp_path, "a,y\n1,0\nNA,1\n")
