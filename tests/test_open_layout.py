"""The open layout, end to end in a temporary git+DVC copy of the project: a new variant is a
params.yaml block (no dvc.yaml, code, test or rules edit), and DVC's run cache restores a
configuration already run, here and, through a directory remote, in a fresh clone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_readme import readme_variant_example

from lrlab import layout

REPO = Path(__file__).resolve().parents[1]
KEEP = ("linear_toy", "study_hours")  # toy lesson variants: no download, a second to train
NEW = readme_variant_example()  # the README's "Add a variant" example, as written
RAN = "> python -m stages."  # DVC echoes each command it runs


def run(repo: Path, *cmd: str, stdout_only: bool = False) -> str:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.update(OMP_NUM_THREADS="1")
    done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout if stdout_only else done.stdout + done.stderr


def dvc_json(repo: Path, *args: str) -> dict:
    return json.loads(run(repo, sys.executable, "-m", "dvc", *args, "--json", stdout_only=True))


def dvc(repo: Path, *args: str) -> str:
    return run(repo, sys.executable, "-m", "dvc", *args)


def git(repo: Path, *args: str) -> str:
    return run(repo, "git", "-c", "user.name=t", "-c", "user.email=t@t", *args)


def edit_params(repo: Path, change) -> None:
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    change(params)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project with two lesson variants, committed and reproduced; then two
    new variants added by editing params.yaml alone and reproduced."""
    repo = tmp_path_factory.mktemp("open")
    for name in (
        "dvc.yaml",
        "params.yaml",
        "lessons.yaml",
        "metrics_rules.yaml",
        ".gitignore",
        ".dvcignore",
    ):
        shutil.copy(REPO / name, repo / name)
    for folder in ("lrlab", "stages"):
        shutil.copytree(REPO / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    edit_params(repo, lambda p: p.update(variants={k: p["variants"][k] for k in KEEP}))
    git(repo, "init", "-q")
    dvc(repo, "init", "-q")
    dvc(repo, "repro", "report")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "baseline")
    edit_params(repo, lambda p: p["variants"].update(NEW))
    log = dvc(repo, "repro", "report")
    for key in NEW:
        assert f"Running stage 'train@{key}'" in log
        assert f"Running stage 'figures@{key}'" in log
    for key in KEEP:
        assert f"Running stage 'train@{key}'" not in log, "an unchanged variant reran"
    return repo


def test_new_variants_get_metrics_figures_and_a_report_row(project):
    for key in NEW:
        metrics = json.loads(layout.metrics_file(project, key).read_text())
        assert 0.9 <= metrics["test"]["accuracy"] <= 1.0  # two well-separated clusters
        assert layout.figure_file(project, key, "curves").is_file()
    assert layout.figure_file(project, "my_tanh_net", "regions").is_file()
    report = layout.report_file(project).read_text()
    for key in (*KEEP, *NEW):
        assert f"| [{key}](#{key}) |" in report
    assert "figures/my_tanh_net/regions.png" in report


def test_new_variants_are_in_dvc_plots_and_metrics(project):
    plots = dvc_json(project, "plots", "show")
    assert not plots.get("errors"), plots.get("errors")
    for key in NEW:
        assert layout.relative(project, layout.history_file(project, key)) in plots["data"]
        png = layout.relative(project, layout.figure_file(project, key, "curves"))
        assert png in plots["data"]
    shown = dvc_json(project, "metrics", "show")
    files = next(iter(shown.values()))["data"]
    assert {f"metrics/{key}.json" for key in NEW} <= set(files)


def test_the_gate_covers_new_variants_with_default_rules(project):
    out = run(project, sys.executable, "-m", "stages.check_metrics", "--rev", "HEAD")
    assert "my_tanh_net" in out and "PASSED" in out


def test_a_param_changed_and_changed_back_is_restored_from_the_run_cache(project):
    git(project, "add", "-A")
    git(project, "commit", "-qm", "new variants")
    before = layout.metrics_file(project, "linear_toy").read_bytes()
    edit_params(project, lambda p: p["variants"]["linear_toy"].update(epochs=51))
    assert "Running stage 'train@linear_toy'" in dvc(project, "repro", "report")
    edit_params(project, lambda p: p["variants"]["linear_toy"].update(epochs=50))
    log = dvc(project, "repro", "report")
    assert "Stage 'train@linear_toy' is cached" in log
    assert RAN not in log, f"a stage ran instead of being restored:\n{log}"
    assert layout.metrics_file(project, "linear_toy").read_bytes() == before


@pytest.mark.xfail(
    strict=True,
    reason="known gap: after `dvc push --run-cache`, a fresh clone's `dvc pull --run-cache` "
    "still retrains train@linear_toy for a configuration run only on the other machine",
)
def test_a_fresh_clone_restores_a_configuration_run_elsewhere(project, tmp_path):
    remote = tmp_path / "remote"
    dvc(project, "remote", "add", "-d", "store", str(remote))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "remote")
    edit_params(project, lambda p: p["variants"]["linear_toy"].update(epochs=52))
    dvc(project, "repro", "report")  # run here only: not committed, only in the run cache
    edit_params(project, lambda p: p["variants"]["linear_toy"].update(epochs=50))
    dvc(project, "repro", "report")
    dvc(project, "push", "--run-cache")

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    dvc(clone, "pull", "--run-cache", "--allow-missing")  # lesson datasets never ran here
    edit_params(clone, lambda p: p["variants"]["linear_toy"].update(epochs=52))
    log = dvc(clone, "repro", "report")
    assert RAN not in log, f"the clone ran a stage instead of restoring it:\n{log}"
    history = layout.history_file(clone, "linear_toy").read_text().splitlines()
    assert len(history) == 1 + 52
