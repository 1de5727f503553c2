"""The prepare stage on your own CSV: a file under data/external/ or a verified download from a
URL (served from 127.0.0.1, or found in DATA_MIRROR), with clear errors and nothing written
when the source is missing or does not match its sha256."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from fixtures_data import write_mirror
from repo_kit import write_params

from lrlab.base import layout
from lrlab.base.errors import DataError
from lrlab.core.prepared import load_prepared
from stages import prepare as stage

TABLE = b"size,colour,species\n1.0,red,a\n2.0,blue,b\n3.0,red,a\n4.0,blue,b\n5.0,red,b\n"


def project(root: Path, source: str, **settings) -> Path:
    own = {"kind": "csv", "source": source, "target": "species", "task": "classification"}
    own.update(categorical=["colour"], test_fraction=None, **settings)
    write_params(root, base={"seed": 7, "datasets": {"t": own}}, fast=False)
    return root


def prepare(root: Path) -> dict:
    stage.main(["t", "--root", str(root), "--params", str(root / "params.yaml")])
    return json.loads(layout.prepared_info(root, "t").read_text())


def nothing_prepared(root: Path) -> bool:
    return not (root / layout.PREPARED).exists() or not any((root / layout.PREPARED).iterdir())


def test_a_file_under_data_external_is_prepared(tmp_path):
    (tmp_path / layout.EXTERNAL).mkdir(parents=True)
    (tmp_path / layout.EXTERNAL / "t.csv").write_bytes(TABLE)
    sha = hashlib.sha256(TABLE).hexdigest()
    info = prepare(project(tmp_path, "data/external/t.csv", sha256=sha))
    assert info["class_names"] == ["a", "b"] and info["source"] == "data/external/t.csv"
    assert info["feature_names"] == ["size", "colour=blue", "colour=red"]
    data = load_prepared(layout.prepared_file(tmp_path, "t"))
    np.testing.assert_array_equal(data.y_train, [0, 1, 0, 1, 1])


def test_a_missing_file_says_where_and_how_to_fix(tmp_path):
    with pytest.raises(DataError) as info:
        prepare(project(tmp_path, "data/external/nope.csv"))
    message = str(info.value)
    assert "datasets.t.source = 'data/external/nope.csv': no such file" in message
    assert "dvc add data/external/nope.csv" in message and "dvc pull" in message
    assert nothing_prepared(tmp_path)


def test_a_changed_file_fails_its_checksum(tmp_path):
    (tmp_path / layout.EXTERNAL).mkdir(parents=True)
    (tmp_path / layout.EXTERNAL / "t.csv").write_bytes(TABLE + b"6.0,red,a\n")
    with pytest.raises(DataError) as info:
        prepare(project(tmp_path, "data/external/t.csv", sha256=hashlib.sha256(TABLE).hexdigest()))
    assert "checksum mismatch" in str(info.value) and "datasets.t.sha256" in str(info.value)
    assert nothing_prepared(tmp_path)


def test_a_url_is_downloaded_verified_and_not_kept(tmp_path, http_server, monkeypatch):
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    http_server.serve({"t.csv": TABLE})
    sha = hashlib.sha256(TABLE).hexdigest()
    info = prepare(project(tmp_path, http_server.url + "t.csv", sha256=sha))
    assert info["class_names"] == ["a", "b"] and http_server.hits == ["/data/t.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "params.yaml"]
    assert not (tmp_path / layout.RAW).exists()  # the download went to a temporary folder


def test_a_url_whose_content_changed_is_refused(tmp_path, http_server, monkeypatch):
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    http_server.serve({"t.csv": TABLE})
    root = project(tmp_path, http_server.url + "t.csv", sha256="0" * 64)
    with pytest.raises(DataError) as info:
        prepare(root)
    message = str(info.value)
    assert "every source failed" in message and "checksum mismatch for t.csv" in message
    assert nothing_prepared(tmp_path)


def test_a_url_is_read_from_data_mirror_first(tmp_path, http_server, monkeypatch):
    write_mirror(tmp_path / "mirror", "t", {"t.csv": TABLE})
    monkeypatch.setenv("DATA_MIRROR", "mirror")
    sha = hashlib.sha256(TABLE).hexdigest()
    info = prepare(project(tmp_path, http_server.url + "t.csv", sha256=sha))
    assert info["rows"] == {"read": 5, "dropped": 0} and http_server.hits == []
