"""The project's wiring: dvc.yaml covers every dataset and variant, each stage lists its own
script and the params it reads, and the README's two commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from lrlab.config import ALL_DATASETS, REMOTE_DATASETS, ParamsFile

REPO = Path(__file__).resolve().parents[1]
DVC = yaml.safe_load((REPO / "dvc.yaml").read_text())
STAGES = DVC["stages"]


def test_download_stages_cover_exactly_the_remote_datasets():
    assert STAGES["download"]["foreach"] == list(REMOTE_DATASETS)


def test_prepare_stages_cover_every_dataset_and_their_sources_exist():
    prepare = STAGES["prepare"]["foreach"]
    assert set(prepare) == set(ALL_DATASETS)
    for name, source in prepare.items():
        if name in REMOTE_DATASETS:
            assert source == f"data/raw/{name}"
        else:
            assert (REPO / source).is_file(), source


def test_every_stage_depends_on_its_own_script_and_the_modules_it_lists_exist():
    for name, stage in STAGES.items():
        body = stage.get("do", stage)
        module = re.match(r"python -m stages\.(\w+)", body["cmd"]).group(1)
        deps = body.get("deps", [])
        assert f"stages/{module}.py" in deps, f"{name} does not depend on its script"
        for dep in deps:
            if dep.startswith(("stages/", "lrlab/")) and "${" not in dep:
                assert (REPO / dep).exists(), f"{name}: dependency {dep} does not exist"


def test_stages_that_parse_params_depend_on_the_config_defaults():
    for name in ("prepare", "train", "evaluate"):
        assert "lrlab/config.py" in STAGES[name].get("do", STAGES[name])["deps"], name


def test_variant_stages_declare_the_variant_params():
    params = ParamsFile(REPO / "params.yaml")
    assert STAGES["train"]["foreach"] == "${variants}"
    assert "variants.${key}" in STAGES["train"]["do"]["params"]
    assert {"seed", "device", "num_threads"} <= set(STAGES["train"]["do"]["params"])
    assert "variants.${key}" in STAGES["evaluate"]["do"]["params"]
    assert len(params.variant_keys()) == 13


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
    for path in ("/data/raw/", "/data/prepared/", "/models/", "/.venv/"):
        assert path in ignored


def test_dvc_parses_yaml_with_libyaml():
    """DVC rereads dvc.yaml and dvc.lock several times per stage; the C parser from the
    pinned ruamel.yaml.clib makes that ~6x faster than ruamel's pure-Python one."""
    from ruamel.yaml import YAML

    assert YAML(typ="safe").Parser.__name__ == "CParser"
