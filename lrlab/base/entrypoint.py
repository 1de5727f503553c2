"""The entry wrapper of every stage and every ``lrlab`` command: clear one-paragraph errors
instead of tracebacks, and one line for an interrupt (Ctrl-C exits 130, SIGTERM 143) after
every output in progress is removed."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable

from lrlab.base.errors import LrlabError


def _stage_name(main: Callable[[list[str]], None]) -> str:
    """``train`` for ``stages.train``, also when run as ``python -m stages.train``."""
    module = main.__module__
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        module = spec.name if spec is not None else "stage"
    return module.rsplit(".", 1)[-1]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every writer removes its temporary file."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def run(
    main: Callable[[list[str]], None], argv: list[str] | None = None, name: str | None = None
) -> None:
    """Call ``main(argv)``; a :class:`LrlabError` prints its message and exits 1. Messages
    name ``name``, by default the stage: the last part of ``main``'s module name."""
    args = sys.argv[1:] if argv is None else argv
    stage = name or _stage_name(main)
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
            f"\n{stage}: interrupted ({how}); no half-written file was left. Rerun to finish.",
            file=sys.stderr,
        )
        sys.exit(code)
