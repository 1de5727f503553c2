"""The fault-injection suite's helpers: run a stage's entry point (in-process through the
``run()`` wrapper, or as ``python -m stages.<name>``) or an ``lrlab`` command (in-process
through ``lrlab.cli.main``, or as ``python -m lrlab.cli``) and check its one-paragraph error."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lrlab import cli
from lrlab.base.stage_args import run

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    """What a stage did: its exit status, stdout and stderr."""

    code: int
    out: str
    err: str

    @property
    def error(self) -> str:
        """The ``error (<stage>): ...`` paragraph, checked to be one paragraph, no traceback."""
        assert self.code == 1, f"exit status {self.code}, stderr:\n{self.err}"
        assert "Traceback" not in self.err, self.err
        assert "error (" in self.err, self.err
        message = self.err[self.err.index("error (") :].strip()
        assert "\n\n" not in message, f"not one paragraph:\n{message}"
        return message


def _outcome(capsys: pytest.CaptureFixture[str], call: Callable[[], None]) -> Outcome:
    capsys.readouterr()
    try:
        call()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def call_stage(
    capsys: pytest.CaptureFixture[str], main: Callable[[list[str]], None], *args: object
) -> Outcome:
    """``run(main, args)`` as ``python -m stages.<name>`` would, capturing exit status and
    output."""
    return _outcome(capsys, lambda: run(main, [str(a) for a in args]))


def call_lrlab(capsys: pytest.CaptureFixture[str], *args: object) -> Outcome:
    """``lrlab args`` in-process (``lrlab.cli.main``), capturing exit status and output."""
    return _outcome(capsys, lambda: cli.main([str(a) for a in args]))


def _python_m(
    module: str, args: tuple[object, ...], cwd: Path, env: dict[str, str] | None
) -> Outcome:
    """``python -m <module> args`` in a subprocess (one thread), from ``cwd``."""
    environ = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        **(env or {}),
    }
    result = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Outcome(result.returncode, result.stdout, result.stderr)


def run_module(
    stage: str, *args: object, cwd: Path = REPO, env: dict[str, str] | None = None
) -> Outcome:
    """``python -m stages.<stage> args`` in a subprocess (one thread), from ``cwd``."""
    return _python_m(f"stages.{stage}", args, cwd, env)


def run_lrlab(*args: object, cwd: Path = REPO, env: dict[str, str] | None = None) -> Outcome:
    """``lrlab args`` as ``python -m lrlab.cli args`` in a subprocess (one thread), from
    ``cwd``: the installed ``lrlab`` script may import another checkout's code."""
    return _python_m("lrlab.cli", args, cwd, env)


def visible_files(path: Path) -> list[str]:
    """Every file below ``path`` that is not hidden (a temporary), relative; folders left out."""
    if not path.exists():
        return []
    files = (p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    return sorted(str(p.relative_to(path)) for p in files)


def without_timings(meta: dict) -> dict:
    """A model file's meta without what measures the machine (``*_seconds``, ``*_mb``): those
    differ between identical runs."""
    return {k: v for k, v in meta.items() if not k.endswith(("_seconds", "_mb"))}
