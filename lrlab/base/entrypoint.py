"""The entry wrapper of every stage and every ``lrlab`` command: clear one-paragraph errors
instead of tracebacks, and one line for an interrupt (Ctrl-C exits 130, SIGTERM 143) after
every output in progress is removed. Also the garbage collector's part in a short process's
start-up and exit (:func:`heavy_imports`, and :func:`run` as the entry point)."""

from __future__ import annotations

import gc
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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


_process_ends_with_main = False  # set by run() for a process's entry point


@contextmanager
def heavy_imports() -> Iterator[None]:
    """No garbage collection while the block imports (torch, matplotlib): their 250,000
    objects live as long as the process, yet each full collection set off while they load
    walks them all. In a process that ends with its ``main`` (:func:`run`), they are then
    frozen (:func:`gc.freeze`) so that no later collection walks them either; elsewhere (a
    test importing a stage) the collector goes on as before, with them in its young
    generation. About 1.5 s less of a train stage's start-up and exit."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _process_ends_with_main:
            gc.freeze()
        if enabled:
            gc.enable()


def run(
    main: Callable[[list[str]], None],
    argv: list[str] | None = None,
    name: str | None = None,
    exiting: bool | None = None,
) -> None:
    """Call ``main(argv)``; a :class:`LrlabError` prints its message and exits 1. Messages
    name ``name``, by default the stage: the last part of ``main``'s module name.

    ``exiting`` (by default when ``argv`` is None: ``python -m stages.<name>``) says the process
    ends once ``main`` returns or fails: every object is then frozen (:func:`gc.freeze`), so
    that the interpreter's exit skips its last full collection, a second with torch loaded,
    and so are those of :func:`heavy_imports` as soon as they are loaded. A caller that goes
    on (a test calling ``run(main, argv)``) keeps its collector as it was."""
    global _process_ends_with_main
    if exiting is None:
        exiting = argv is None
    _process_ends_with_main = _process_ends_with_main or exiting
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
    finally:
        if exiting:
            gc.freeze()
