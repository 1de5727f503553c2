"""The per-epoch history file, written while training runs.

``history/<variant>.csv`` appears with its first epoch and grows at most about once a second
(``EVERY``), each time flushed to the OS, so `dvc plots show`, `dvc exp show` and the DVC
VS Code extension can draw the curve of a run still in progress. Its columns start with
:data:`lrlab.core.outputs.HISTORY_COLUMNS`, ``nan`` where a run has no such value. Finished, it
holds the same
bytes :func:`lrlab.base.io.write_csv` writes for the same rows, and is fsynced. If training fails
or is interrupted the partial file is removed and a history from an earlier run, kept aside
as a hidden ``.tmp`` file meanwhile, is put back. Only SIGKILL can leave a partial file,
holding the epochs done so far; the next run replaces it.
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from lrlab.base.io import write_error
from lrlab.core.outputs import HISTORY_COLUMNS

EVERY = 1.0  # seconds between writes while training runs


class LiveHistory:
    """``with LiveHistory(path) as live: train(..., on_epoch=live.add)``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        every: float = EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path, self.every, self.clock = Path(path), every, clock
        self._earlier = self.path.with_name(f".{self.path.name}.earlier.tmp")
        self._handle: IO[str] | None = None
        self._writer: Any = None
        self._pending: list[list[Any]] = []
        self._header: list[str] = []
        self._last = 0.0

    def __enter__(self) -> LiveHistory:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                os.replace(self.path, self._earlier)  # put back if this run fails
        except OSError as exc:
            raise write_error(self.path, exc) from None
        return self

    def add(self, row: dict[str, Any]) -> None:
        """One epoch's row; the file is written now if it is new or ``every`` has passed."""
        if self._writer is None:
            self._header = [*HISTORY_COLUMNS, *(k for k in row if k not in HISTORY_COLUMNS)]
            self._open(self._header)
        self._pending.append([row.get(k, math.nan) for k in self._header])
        if self.clock() - self._last >= self.every:
            self._write()

    def _open(self, header: list[str]) -> None:
        try:
            self._handle = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise write_error(self.path, exc) from None
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._pending.append(header)

    def _write(self) -> None:
        assert self._handle is not None
        try:
            self._writer.writerows(self._pending)
            self._handle.flush()
        except OSError as exc:
            raise write_error(self.path, exc) from None
        self._pending.clear()
        self._last = self.clock()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        done = False
        try:
            if kind is None and self._handle is not None:
                self._write()
                try:
                    os.fsync(self._handle.fileno())
                except OSError as error:
                    raise write_error(self.path, error) from None
                done = True
        finally:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
            if done:
                self._earlier.unlink(missing_ok=True)
            else:
                self.path.unlink(missing_ok=True)
                if self._earlier.exists():
                    os.replace(self._earlier, self.path)
