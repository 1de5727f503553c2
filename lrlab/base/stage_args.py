"""What the per-variant stages share: their argument parser. The entry wrapper (``run``:
one-paragraph errors, Ctrl-C exits 130, SIGTERM 143) lives in :mod:`lrlab.base.entrypoint`, shared
with the ``lrlab`` command, and is imported from here by every stage."""

from __future__ import annotations

import argparse
from pathlib import Path

from lrlab.base.entrypoint import run

__all__ = ["parse_variant_args", "run"]


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
