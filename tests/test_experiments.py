"""`dvc exp run -S` reruns only the changed variant, and seed sweeps summarise into mean ± std."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from repo_kit import dvc, toy_project

from lrlab.cli import dispatch
from lrlab.report.seeds import Run, metric_value, runs_of, seed_runs, summarize

pytestmark = pytest.mark.end_to_end

REPO = Path(__file__).resolve().parents[1]
TARGETS = ["train@linear_toy", "train@study_hours"]


def exp_entry(name: str, seed: int, offset: int, lr: float, accuracy: float) -> dict:
    params = {"seed": seed, "variants": {"v": {"optimizer": {"lr": lr}, "seed_offset": offset}}}
    metrics = {"metrics/v.json": {"data": {"test": {"accuracy": accuracy}}}}
    return {
        "rev": name,
        "name": name,
        "data": {"params": {"params.yaml": {"data": params}}, "metrics": metrics},
    }


def fake_exp_show() -> list[dict]:
    workspace = exp_entry("workspace", 2017, 0, 0.1, 0.90)
    baseline = exp_entry("abc1234", 2017, 0, 0.1, 0.90)
    baseline["experiments"] = [
        {"revs": [exp_entry("s1", 2017, 1, 0.1, 0.92)]},
        {"revs": [exp_entry("s2", 2017, 2, 0.1, 0.94)]},
        {"revs": [exp_entry("other-lr", 2017, 3, 0.5, 0.10)]},
        {"revs": [{"rev": "failed", "data": {}}]},
    ]
    return [workspace, baseline]


def test_seed_runs_keep_one_run_per_seed_of_the_same_configuration():
    runs = runs_of(fake_exp_show())
    assert [r.name for r in runs] == ["workspace", "abc1234", "s1", "s2", "other-lr"]
    chosen = seed_runs(runs, "v", runs[0])
    assert [r.name for r in chosen] == ["workspace", "s1", "s2"]
    values = [metric_value(r.metrics["metrics/v.json"], "test.accuracy") for r in chosen]
    mean, std = summarize(values)
    assert mean == pytest.approx(0.92) and std == pytest.approx(0.02)


def test_metric_value_and_single_value_summary():
    assert metric_value({"a": {"b": 1}}, "a.b") == 1.0
    assert metric_value({"a": {"b": True}}, "a.b") is None
    assert metric_value({"a": {}}, "a.b") is None
    assert metric_value({"query": {"x=0.5": 0.25}}, "query.x=0.5") == 0.25  # a dotted key
    assert metric_value({"query": {"x=0.5": 0.25}}, "query.x=0") is None
    assert summarize([3.0]) == (3.0, 0.0)
    assert isinstance(Run("x", {}, {}), Run)


def test_lrlab_seeds_prints_mean_and_std(tmp_path, capsys):
    saved = tmp_path / "exp.json"
    saved.write_text(json.dumps(fake_exp_show()))
    dispatch(["seeds", "v", "--json", str(saved), "--metric", "test.accuracy"])
    out = capsys.readouterr().out
    assert "| s2 | 2019 | 0.94 |" in out
    assert "test.accuracy: 0.92 ± 0.02  (n = 3)" in out


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of this project in a git+DVC repo with the toy variants reproduced."""
    return toy_project(tmp_path_factory, tmp_path_factory.mktemp("project") / "repo")


def test_exp_run_reruns_only_the_changed_variant(project):
    before = json.loads((project / "metrics" / "linear_toy.json").read_text())
    log = dvc(
        project, "exp", "run", "--temp", "-S", "variants.linear_toy.optimizer.lr=0.02", *TARGETS
    )
    assert "Running stage 'train@linear_toy'" in log
    for untouched in ("train@study_hours", "reference@", "prepare@"):
        assert f"Running stage '{untouched}" not in log
    runs = runs_of(json.loads(dvc(project, "exp", "show", "--json")))
    changed = [r for r in runs if r.params["variants"]["linear_toy"]["optimizer"]["lr"] == 0.02]
    assert changed, "the experiment is not listed by dvc exp show"
    after = changed[0].metrics["metrics/linear_toy.json"]
    assert after["train"]["mse"] != before["train"]["mse"]
    assert after["query"]["x=4.0"] != before["query"]["x=4.0"]


def test_seed_sweep_summarises_over_experiments(project, capsys):
    dvc(project, "exp", "run", "--temp", "-S", "variants.study_hours.seed_offset=1", *TARGETS)
    dispatch(["seeds", "study_hours", "--repo", str(project), "--metric", "train.loss"])
    out = capsys.readouterr().out
    assert "study_hours over 2 seeds" in out
    assert "| 2018 |" in out
