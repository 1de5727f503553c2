"""Verified download: mirror first then URLs, every failure mode leaves no partial file, and
the written layout is what torchvision reads. Uses a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

import pytest
from fixtures_data import files_under, gz, idx_contents, spec_for, use_source, write_mirror

from lrlab.base import layout
from lrlab.base.errors import ConfigError, DataError
from lrlab.base.stage_args import run
from lrlab.datasets import kinds
from lrlab.datasets.fetch import download as dl
from lrlab.datasets.fetch.download import download_dataset, mirror_from_env, project_root
from lrlab.datasets.fetch.raw import RECORD
from lrlab.datasets.kinds import fashion_mnist, mnist
from stages import download as stage

IDX0 = "train-images-idx3-ubyte"
FAST = {"timeout": 0.5, "retries": 0, "backoff": 0.0, "progress": False}


@pytest.fixture
def mnist_like():
    """A tiny MNIST-style spec (no URLs yet) and its published gzip files."""
    return spec_for("mnist", idx_contents(), folder="MNIST")


def with_urls(spec, *urls):
    return dataclasses.replace(spec, urls=tuple(urls))


def assert_nothing_written(raw):
    assert files_under(raw) == [], "a failed download left files in data/raw"


# --- the kinds' sources ------------------------------------------------------------------

SOURCES = {kind: kinds.load(kind, kind).source for kind in kinds.names()}
REMOTE = {kind: source for kind, source in SOURCES.items() if source is not None}


def test_the_downloaded_kinds_pin_their_canonical_sources():
    assert sorted(REMOTE) == ["breast_cancer", "diabetes", "exam_scores", "fashion_mnist", "mnist"]
    assert mnist.SOURCE.urls == (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    assert fashion_mnist.SOURCE.class_names[0] == "T-shirt/top"
    assert len(fashion_mnist.SOURCE.class_names) == 10
    assert REMOTE["exam_scores"].rows == {"all": 100}
    assert REMOTE["diabetes"].files[0].output == "diabetes.csv"
    assert REMOTE["breast_cancer"].urls[0].startswith("file://")  # scikit-learn's own copy
    for spec in REMOTE.values():
        for item in spec.files:
            assert len(item.sha256) == 64 and item.size > 0
            assert item.gzipped == item.published.endswith(".gz")


# --- sources in order ---------------------------------------------------------------------


def test_mirror_is_used_first_and_torchvision_reads_the_layout(tmp_path, http_server, mnist_like):
    spec, published = mnist_like
    http_server.serve(published)
    mirror = write_mirror(tmp_path / "mirror", "mnist", published)
    dest = download_dataset(
        with_urls(spec, http_server.url), tmp_path / "raw" / "mnist", mirror, **FAST
    )

    assert http_server.hits == []
    assert files_under(tmp_path / "raw") == [
        "mnist",
        "mnist/MNIST",
        "mnist/MNIST/raw",
        *(f"mnist/MNIST/raw/{stem}" for stem in sorted(idx_contents())),
    ]
    from torchvision.datasets import MNIST

    train, test = MNIST(str(dest), train=True), MNIST(str(dest), train=False)
    assert tuple(train.data.shape) == (6, 28, 28) and len(test) == 4
    assert train.targets.tolist() == [0, 1, 2, 3, 4, 5]


def test_url_is_used_when_the_mirror_lacks_a_file(tmp_path, http_server, mnist_like):
    spec, published = mnist_like
    http_server.serve(published)
    partial = {k: v for k, v in published.items() if not k.startswith("t10k-images")}
    mirror = write_mirror(tmp_path / "mirror", "mnist", partial)
    download_dataset(with_urls(spec, http_server.url), tmp_path / "raw" / "mnist", mirror, **FAST)
    assert http_server.hits == ["/data/t10k-images-idx3-ubyte.gz"]


def test_corrupt_mirror_copy_falls_back_to_the_url(tmp_path, http_server, mnist_like):
    spec, published = mnist_like
    http_server.serve(published)
    mirror = write_mirror(tmp_path / "mirror", "mnist", published)
    (mirror / "mnist" / "train-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    dest = download_dataset(
        with_urls(spec, http_server.url), tmp_path / "raw" / "mnist", mirror, **FAST
    )
    assert http_server.hits == ["/data/train-labels-idx1-ubyte.gz"]
    assert (dest / "MNIST/raw/train-labels-idx1-ubyte").read_bytes() == idx_contents()[
        "train-labels-idx1-ubyte"
    ]


def test_silent_server_times_out_then_the_next_url_serves(tmp_path, http_server, silent_url):
    spec, published = spec_for("exam-scores", {"data.txt": b"1,2,0\n"})
    http_server.serve(published)
    started = time.perf_counter()
    download_dataset(with_urls(spec, silent_url, http_server.url), tmp_path / "raw" / "x", **FAST)
    assert 0.4 < time.perf_counter() - started < 5
    assert http_server.hits == ["/data/data.txt.gz"]


def test_server_error_is_retried(tmp_path, http_server):
    spec, published = spec_for("exam-scores", {"data.txt": b"1,2,0\n"})
    http_server.routes["/data/data.txt.gz"] = [(503, b"busy"), published["data.txt.gz"]]
    options = {**FAST, "retries": 1}
    dest = download_dataset(with_urls(spec, http_server.url), tmp_path / "raw" / "x", **options)
    assert (dest / "data.txt").read_bytes() == b"1,2,0\n"
    assert len(http_server.hits) == 2


def test_existing_copy_is_replaced_whole(tmp_path, http_server):
    spec, published = spec_for("exam-scores", {"data.txt": b"1,2,0\n"})
    http_server.serve(published)
    old = tmp_path / "raw" / "x"
    old.mkdir(parents=True)
    (old / "stale.txt").write_text("old")
    download_dataset(with_urls(spec, http_server.url), old, **FAST)
    assert files_under(tmp_path / "raw") == ["x", "x/data.txt"]


# --- failures leave nothing behind --------------------------------------------------------


def test_every_source_unreachable_lists_each_and_explains_data_mirror(
    tmp_path, closed_url, silent_url
):
    spec, _ = spec_for("exam-scores", {"data.txt": b"1,2,0\n"})
    raw = tmp_path / "raw"
    with pytest.raises(DataError) as info:
        download_dataset(with_urls(spec, closed_url, silent_url), raw / "exam-scores", **FAST)
    message = str(info.value)
    assert "every source failed" in message
    assert f"{closed_url}data.txt.gz: ConnectionRefusedError" in message
    assert f"{silent_url}data.txt.gz: no answer within the 0.5 s timeout" in message
    assert "DATA_MIRROR=../shared/datasets dvc repro" in message
    assert_nothing_written(raw)


def test_checksum_mismatch_names_file_expected_got_and_source(tmp_path, http_server):
    spec, _ = spec_for("exam-scores", {"data.txt": b"1,2,0\n"})
    other = b"1,2,1\n"
    http_server.serve({"data.txt.gz": gz(other)})
    raw = tmp_path / "raw"
    with pytest.raises(DataError) as info:
        download_dataset(with_urls(spec, http_server.url), raw / "exam-scores", **FAST)
    message = str(info.value)
    assert f"{http_server.url}data.txt.gz: checksum mismatch for data.txt" in message
    assert f"expected sha256 {spec.files[0].sha256}" in message
    assert f"got {hashlib.sha256(other).hexdigest()}" in message
    assert_nothing_written(raw)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (lambda data: gz(data)[:-12], "truncated gzip data"),
        (lambda data: data, "not valid gzip data"),
    ],
)
def test_bad_gzip_from_every_source_is_reported(tmp_path, http_server, mnist_like, body, reason):
    spec, _ = mnist_like
    contents = idx_contents()
    http_server.serve({f"{stem}.gz": body(data) for stem, data in contents.items()})
    mirror = tmp_path / "mirror"
    write_mirror(mirror, "mnist", {"train-images-idx3-ubyte.gz": body(contents[IDX0])})
    raw = tmp_path / "raw"
    with pytest.raises(DataError) as info:
        download_dataset(with_urls(spec, http_server.url), raw / "mnist", mirror, **FAST)
    message = str(info.value)
    assert f"{mirror}/mnist/train-images-idx3-ubyte.gz: {reason}" in message
    assert f"{http_server.url}train-images-idx3-ubyte.gz: {reason}" in message
    assert_nothing_written(raw)


def test_a_later_file_failing_removes_the_earlier_ones(tmp_path, http_server, mnist_like):
    spec, published = mnist_like
    http_server.serve({k: v for k, v in published.items() if not k.startswith("t10k-labels")})
    raw = tmp_path / "raw"
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz: HTTP error 404"):
        download_dataset(with_urls(spec, http_server.url), raw / "mnist", **FAST)
    assert len(http_server.hits) == 4
    assert_nothing_written(raw)


def test_missing_mirror_folder_is_an_error(tmp_path, http_server, mnist_like):
    spec, published = mnist_like
    http_server.serve(published)
    raw = tmp_path / "raw"
    with pytest.raises(DataError, match=r"mirror folder .*nowhere does not exist"):
        download_dataset(
            with_urls(spec, http_server.url), raw / "mnist", tmp_path / "nowhere", **FAST
        )
    assert http_server.hits == []
    assert_nothing_written(raw)


def test_ctrl_c_mid_download_leaves_nothing(tmp_path, http_server, mnist_like, monkeypatch):
    spec, published = mnist_like
    http_server.serve(published)
    real_copy = dl._copy_verified
    calls = []

    def interrupted(stream, total, item, target, progress):
        calls.append(item)
        if len(calls) == 2:
            target.write_bytes(b"half")
            raise KeyboardInterrupt
        real_copy(stream, total, item, target, progress)

    monkeypatch.setattr(dl, "_copy_verified", interrupted)
    raw = tmp_path / "raw"
    with pytest.raises(KeyboardInterrupt):
        download_dataset(with_urls(spec, http_server.url), raw / "mnist", **FAST)
    assert_nothing_written(raw)


# --- the stage ----------------------------------------------------------------------------


def test_stage_reads_a_relative_data_mirror_from_the_repo_root(
    tmp_path, monkeypatch, capsys, mnist_like
):
    spec, published = mnist_like
    write_mirror(tmp_path / "mirror", "mnist", published)
    use_source(monkeypatch, mnist, spec)
    monkeypatch.setattr(stage, "REPO", tmp_path)
    monkeypatch.setenv("DATA_MIRROR", "mirror")
    stage.main(["digits", "--kind", "mnist", "--out", str(layout.raw_dir(tmp_path, "x").parent)])
    assert (layout.raw_dir(tmp_path, "digits") / "MNIST/raw/t10k-labels-idx1-ubyte").is_file()
    assert "download digits: 4 file(s)" in capsys.readouterr().out


def test_stage_downloads_by_default_to_where_prepare_reads():
    """The default --out holds ``<out>/<dataset>``, the layout's raw folder of the repo."""
    for name in ("mnist", "my-data"):
        out = stage.parse_args([name, "--kind", "mnist"]).out
        assert out / name == layout.raw_dir(stage.REPO, name), name


def test_a_kind_with_nothing_to_fetch_gets_a_record_of_what_it_is_made_from(tmp_path, capsys):
    for kind in (k for k, source in SOURCES.items() if source is None):
        stage.main(["some-data", "--kind", kind, "--out", str(tmp_path)])
        assert files_under(tmp_path) == ["some-data", f"some-data/{RECORD}"]
        record = json.loads((tmp_path / "some-data" / RECORD).read_text())
        made_from = kinds.load(kind, "some-data").made_from
        assert record == {"dataset": "some-data", "kind": kind, "made_from": made_from}
        assert f"download some-data: nothing to fetch ({made_from})" in capsys.readouterr().out


def test_stage_exits_nonzero_with_the_message_and_no_partial_file(
    tmp_path, monkeypatch, capsys, closed_url, mnist_like
):
    spec, _ = mnist_like
    use_source(monkeypatch, mnist, with_urls(spec, closed_url))
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    raw = tmp_path / "raw"
    args = ["mnist", "--kind", "mnist", "--out", str(raw), "--timeout", "0.5", "--retries", "0"]
    with pytest.raises(SystemExit) as exit_info:
        run(stage.main, args)
    assert exit_info.value.code == 1
    assert "every source failed" in capsys.readouterr().err
    assert_nothing_written(raw)


def test_stage_rejects_an_unknown_kind_listing_the_kinds(tmp_path):
    with pytest.raises(ConfigError) as info:
        stage.main(["digits", "--kind", "mnits", "--out", str(tmp_path)])
    assert "datasets.digits.kind = 'mnits': not a dataset kind (did you mean 'mnist'?)" in str(
        info.value
    )
    assert f"Kinds: {', '.join(kinds.names())} (the modules in" in str(info.value)
    assert files_under(tmp_path) == []


def test_a_relative_data_mirror_is_taken_from_the_project_also_in_an_experiment_copy(tmp_path):
    """DVC runs queued and --temp experiments in <project>/.dvc/tmp/exps/<name>/."""
    project = tmp_path / "project"
    copy = project / ".dvc" / "tmp" / "exps" / "tmpab12cd"
    copy.mkdir(parents=True)
    env = {"DATA_MIRROR": "../shared/datasets"}
    expected = (tmp_path / "shared" / "datasets").resolve()
    assert mirror_from_env(project, env) == expected
    assert mirror_from_env(copy, env) == expected
    assert mirror_from_env(copy, {"DATA_MIRROR": "/abs/mirror"}) == Path("/abs/mirror")
    assert mirror_from_env(copy, {}) is None and project_root(copy) == project.resolve()
