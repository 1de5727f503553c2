"""The open layout, end to end in a temporary git+DVC copy of the project: a new variant and a
new CSV dataset are params.yaml blocks (no dvc.yaml, code, test or rules edit), and DVC's run
cache restores a configuration already run, here and, through a directory remote, in a fresh
clone. The README's two examples run as written."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from fixtures_data import BASE_PARAMS, write_prepared
from repo_kit import (
    RAN,
    TOY_VARIANTS,
    dvc,
    dvc_json,
    edit_params,
    git,
    run,
    toy_project,
)
from test_readme import readme_csv_example, readme_predict_example, readme_variant_example

from lrlab.base import layout
from stages import train as train_stage

pytestmark = pytest.mark.end_to_end

REPO = Path(__file__).resolve().parents[1]
NEW = readme_variant_example()  # the README's "Add a variant" example, as written
README_CSV_SHELL, README_CSV = readme_csv_example()  # "Add your own CSV", as written
SURVEY = {  # a generated CSV: text labels, a categorical column, NA cells
    "kind": "csv",
    "source": "data/external/survey.csv",
    "target": "answer",
    "task": "classification",
    "categorical": ["site"],
    "missing": "drop",
    "test_fraction": 0.2,
}
SURVEY_VARIANTS = {  # one: an MLP with sizes from the data is the README's my_tanh_net
    "survey_softmax": {  # sizes from the data
        "dataset": "survey",
        "model": {"kind": "softmax"},
        "loss": "cross_entropy",
        "optimizer": {"name": "sgd", "lr": 0.5},
        "epochs": 60,
    },
}
ADDED = {**NEW, **README_CSV["variants"], **SURVEY_VARIANTS}
ELSEWHERE = 51  # variants.linear_toy.epochs of a run never committed (50 is)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project with two lesson variants, committed and reproduced; then two
    new variants added by editing params.yaml alone and reproduced."""
    repo = toy_project(tmp_path_factory, tmp_path_factory.mktemp("open") / "repo")
    run(repo, "bash", "-euc", README_CSV_SHELL)
    write_survey(repo / SURVEY["source"])
    dvc(repo, "add", SURVEY["source"])

    def add(params: dict) -> None:
        params["datasets"].update({**README_CSV["datasets"], "survey": SURVEY})
        params["variants"].update(ADDED)

    edit_params(repo, add)
    log = dvc(repo, "repro", "report")
    for key in ADDED:
        assert f"Running stage 'train@{key}'" in log
        assert f"Running stage 'reference@{key}'" in log
    for key in TOY_VARIANTS:
        assert f"Running stage 'train@{key}'" not in log, "an unchanged variant reran"
    return repo


def write_survey(path: Path, n: int = 240) -> None:
    """Three answers decided by two numbers and a site; a few empty and NA cells."""
    rng = np.random.default_rng(0)
    score, hours = rng.normal(size=(2, n)).round(3)
    site = rng.choice(["north", "south", "east"], n)
    level = 2 * score + hours + 1.5 * (site == "north")
    answer = np.where(level > 1, "yes", np.where(level > -1, "maybe", "no"))
    cells = [[str(v) for v in row] for row in zip(score, hours, site, answer, strict=True)]
    for row, column, token in ((3, 1, ""), (10, 0, "NA"), (17, 2, "n/a"), (25, 1, "?")):
        cells[row][column] = token
    lines = ["score,hours,site,answer", *(",".join(row) for row in cells)]
    path.write_text("\n".join(lines) + "\n")


def test_the_readme_predict_example_runs_as_written(project, tmp_path):
    """After the README's iris example, with a fixture-trained mnist_mlp beside it (the real
    one needs the MNIST download)."""
    repo = tmp_path / "repo"
    shutil.copytree(project, repo, symlinks=True)

    def add_mnist(params: dict) -> None:
        params["datasets"]["mnist"] = BASE_PARAMS["datasets"]["mnist"]
        params["variants"]["mnist_mlp"] = {**BASE_PARAMS["variants"]["mnist_mlp"], "epochs": 1}

    edit_params(repo, add_mnist)
    write_prepared(repo, "mnist")
    train_stage.main(["mnist_mlp", "--root", str(repo)])  # the model file is all predict reads
    done = run(repo, "bash", "-euc", readme_predict_example())
    tables = done.stdout.split("line,prediction,p_setosa,p_versicolor,p_virginica\n")
    assert len(tables) == 2, done.stdout  # the iris rows; the model-file run wrote a file
    assert tables[1].startswith("2,setosa,") and "\n3,virginica," in tables[1], done.stdout
    assert "file,prediction,p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9\nmy_digit.png," in done.stdout
    assert "predict iris_softmax: 2 rows -> predictions.csv" in done.stderr


def test_a_csv_dataset_is_prepared_with_its_levels_and_dropped_rows(project):
    info = json.loads(layout.prepared_info(project, "survey").read_text())
    assert info["class_names"] == ["maybe", "no", "yes"]
    assert info["categories"] == {"site": ["east", "north", "south"]}
    assert info["rows"] == {"read": 240, "dropped": 4}
    iris = json.loads(layout.prepared_info(project, "iris").read_text())
    assert iris["class_names"] == ["setosa", "versicolor", "virginica"]
    for key in (*SURVEY_VARIANTS, *README_CSV["variants"]):
        metrics = json.loads(layout.metrics_file(project, key).read_text())
        assert metrics["test"]["accuracy"] >= 0.8, (key, metrics["test"])


def test_new_variants_get_metrics_figures_and_a_report_row(project):
    for key in NEW:
        metrics = json.loads(layout.metrics_file(project, key).read_text())
        assert 0.9 <= metrics["test"]["accuracy"] <= 1.0  # two well-separated clusters
        assert layout.figure_file(project, key, "curves").is_file()
    assert layout.figure_file(project, "my_tanh_net", "regions").is_file()
    report = layout.report_file(project).read_text()
    for key in (*TOY_VARIANTS, *ADDED):
        assert f"| [{key}](#{key}) |" in report
    assert "figures/my_tanh_net/regions.png" in report


def test_new_variants_are_in_dvc_plots_and_metrics(project):
    plots = dvc_json(project, "plots", "show")
    assert not plots.get("errors"), plots.get("errors")
    for key in ADDED:
        assert layout.relative(project, layout.history_file(project, key)) in plots["data"]
        png = layout.relative(project, layout.figure_file(project, key, "curves"))
        assert png in plots["data"]
    shown = dvc_json(project, "metrics", "show")
    files = next(iter(shown.values()))["data"]
    assert {f"metrics/{key}.json" for key in ADDED} <= set(files)


def test_the_gate_covers_new_variants_with_default_rules(project):
    out = run(project, sys.executable, "-m", "lrlab.cli", "gate", "--rev", "HEAD").stdout
    assert "PASSED" in out
    for key in ADDED:
        assert key in out, key


def test_a_param_changed_and_changed_back_is_restored_from_the_run_cache(project):
    git(project, "add", "-A")
    git(project, "commit", "-qm", "new variants")
    changed = ("linear_toy", *SURVEY_VARIANTS)
    before = {key: layout.metrics_file(project, key).read_bytes() for key in changed}

    def change(epochs: int, fraction: float):
        def edit(params: dict) -> None:
            params["variants"]["linear_toy"]["epochs"] = epochs
            params["datasets"]["survey"]["test_fraction"] = fraction

        return edit

    edit_params(project, change(ELSEWHERE, 0.25))
    log = dvc(project, "repro", "report")
    for stage in ("prepare@survey", "train@linear_toy", "train@survey_softmax", "report"):
        assert f"Running stage '{stage}'" in log, stage
    edit_params(project, change(50, 0.2))
    log = dvc(project, "repro", "report")
    for stage in ("prepare@survey", "train@linear_toy", "train@survey_softmax", "report"):
        assert f"Stage '{stage}' is cached" in log, log
    assert RAN not in log, f"a stage ran instead of being restored:\n{log}"
    for key in changed:
        assert layout.metrics_file(project, key).read_bytes() == before[key], key


def test_a_fresh_clone_restores_a_configuration_run_elsewhere(project, tmp_path):
    """DVC's `push --run-cache` sends the run records, and `dvc push` the outputs the workspace
    holds; so a result is shared by pushing while it is checked out. The clone fetches the
    records with `pull --run-cache`, and `repro --pull` fetches a restored run's outputs. The
    configuration is the one the test before ran (restored from the run cache here), or a
    run of its own if this test runs alone."""
    remote = tmp_path / "remote"
    dvc(project, "remote", "add", "-d", "store", str(remote))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "remote")
    edit_params(project, lambda p: p["variants"]["linear_toy"].update(epochs=ELSEWHERE))
    dvc(project, "repro", "report")  # run here only: not committed, only in the run cache
    dvc(project, "push", "--run-cache")
    edit_params(project, lambda p: p["variants"]["linear_toy"].update(epochs=50))
    dvc(project, "repro", "report")
    dvc(project, "push", "--run-cache")

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    dvc(clone, "pull", "--run-cache", "--allow-missing")  # lesson datasets never ran here
    assert RAN not in dvc(clone, "repro", "report"), "the committed results were not restored"
    edit_params(clone, lambda p: p["variants"]["linear_toy"].update(epochs=ELSEWHERE))
    log = dvc(clone, "repro", "--pull", "report")
    assert "Stage 'train@linear_toy' is cached" in log
    assert RAN not in log, f"the clone ran a stage instead of restoring it:\n{log}"
    history = layout.history_file(clone, "linear_toy").read_text().splitlines()
    assert len(history) == 1 + ELSEWHERE
