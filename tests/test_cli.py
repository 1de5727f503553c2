"""The `lrlab` command: the console script pyproject declares, its subcommands and their help,
one-paragraph errors (exit 1) and Ctrl-C (exit 130) named after the subcommand."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lrlab import cli, gate_repo

REPO = Path(__file__).resolve().parents[1]


def lrlab(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m lrlab.cli args``: this checkout's code (an installed ``lrlab`` script may
    import another checkout's)."""
    cmd = [sys.executable, "-m", "lrlab.cli", *args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)


def test_pyproject_declares_the_console_script():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"lrlab": "lrlab.cli:main"}


def test_help_lists_the_commands_and_their_arguments():
    shown = lrlab("--help")
    assert shown.returncode == 0, shown.stderr
    for name in ("gate", "seeds"):
        assert name in cli.COMMANDS
        assert f"\n    {name} " in shown.stdout, shown.stdout
    gate = lrlab("gate", "--help").stdout
    assert gate.startswith("usage: lrlab gate ")
    for flag in ("--rev", "--md", "--rules", "--metrics-dir", "--repo"):
        assert flag in gate, flag
    seeds = lrlab("seeds", "--help").stdout
    assert seeds.startswith("usage: lrlab seeds ")
    for argument in ("variant", "--metric", "--json", "--repo"):
        assert argument in seeds, argument


def test_every_command_module_has_help_arguments_and_run():
    for name in cli.COMMANDS:
        module = cli.command_module(name)
        assert (module.__doc__ or "").strip(), f"lrlab/commands/{name}.py has no docstring"
        assert callable(module.add_arguments) and callable(module.run), name


def test_a_missing_or_unknown_command_is_a_usage_error(capsys):
    for argv in ([], ["nope"]):
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == 2
        assert "usage: lrlab" in capsys.readouterr().err


def test_an_error_is_one_paragraph_naming_the_command(tmp_path, capsys):
    saved = tmp_path / "exp.json"
    saved.write_text(json.dumps([]))
    with pytest.raises(SystemExit) as info:
        cli.main(["seeds", "nosuch", "--json", str(saved)])
    assert info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "error (seeds): no run has a variant 'nosuch'. Check the name against `variants:` "
        "in params.yaml."
    )


def test_ctrl_c_exits_130_naming_the_command(monkeypatch, capsys):
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(gate_repo, "check", interrupted)
    with pytest.raises(SystemExit) as info:
        cli.main(["gate"])
    assert info.value.code == 130
    assert "gate: interrupted (Ctrl-C); no half-written file was left" in capsys.readouterr().err
