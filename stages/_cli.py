"""Shared entry-point wrapper: clear one-paragraph errors instead of tracebacks."""

from __future__ import annotations

import sys
from collections.abc import Callable

from lrlab.errors import LrlabError


def run(main: Callable[[list[str]], None], argv: list[str] | None = None) -> None:
    """Call ``main(argv)``; a :class:`LrlabError` prints its message and exits 1."""
    args = sys.argv[1:] if argv is None else argv
    stage = (main.__module__ or "stage").rsplit(".", 1)[-1]
    try:
        main(args)
    except LrlabError as exc:
        print(f"\nerror ({stage}): {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"\n{stage}: interrupted; no output was written.", file=sys.stderr)
        sys.exit(130)
