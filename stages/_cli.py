"""Shared entry-point wrapper: clear one-paragraph errors instead of tracebacks, and one line
for an interrupt (Ctrl-C exits 130, SIGTERM 143) after every output in progress is removed."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from lrlab.errors import LrlabError


def _stage_name(main: Callable[[list[str]], None]) -> str:
    """``train`` for ``stages.train``, also when run as ``python -m stages.train``."""
    module = main.__module__
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        module = spec.name if spec is not None else "stage"
    return module.rsplit(".", 1)[-1]


def parse_variant_args(
    prog: str, doc: str | None, argv: list[str], flags: dict[str, str] | None = None
) -> argparse.Namespace:
    """The arguments of a per-variant stage: ``<variant> [--root DIR] [--params FILE]``, and
    any boolean ``flags`` (``{"--evaluate": "help"}``)."""
    parser = argparse.ArgumentParser(prog=prog, description=doc)
    parser.add_argument("variant", help="a key under `variants:` in params.yaml")
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    parser.add_argument("--params", type=Path, help="params file (default: <root>/params.yaml)")
    for flag, text in (flags or {}).items():
        parser.add_argument(flag, action="store_true", help=text)
    return parser.parse_args(argv)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every writer removes its temporary file."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def run(main: Callable[[list[str]], None], argv: list[str] | None = None) -> None:
    """Call ``main(argv)``; a :class:`LrlabError` prints its message and exits 1."""
    args = sys.argv[1:] if argv is None else argv
    stage = _stage_name(main)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        main(args)
    except LrlabError as exc:
        print(f"\nerror ({stage}): {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt as exc:
        how, code = ("SIGTERM", 143) if isinstance(exc, Terminated) else ("Ctrl-C", 130)
        print(
            f"\n{stage}: interrupted ({how}); no output was written. Rerun to finish.",
            file=sys.stderr,
        )
        sys.exit(code)
