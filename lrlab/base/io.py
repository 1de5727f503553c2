"""Atomic file output (every file lrlab writes appears whole or not at all) and safe loading.

Each writer creates a temporary file in the destination directory, flushes and fsyncs it,
then renames it over the target with :func:`os.replace`, which is atomic on POSIX. A crash
or a SIGKILL mid-write leaves at most a hidden ``.tmp`` file, never a truncated output. An
OS error on the way (disk full, read-only filesystem, no permission, a folder in the way)
removes the temporary and becomes a :class:`~lrlab.base.errors.WriteError` saying what could not
be written, where, why and how to fix it (:func:`write_error`).
:func:`load_torch` is the one way lrlab reads ``.pt`` files: ``weights_only=True``, always.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from lrlab.base.errors import WriteError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_error(target: Path, exc: OSError, needed: int | None = None) -> WriteError:
    """One paragraph for an OS error writing ``target``: what, where, why and the fix."""
    folder = target.parent
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        free = _free_bytes(folder)
        sizes = ", ".join(
            part
            for part in (
                f"{needed:,} bytes needed" if needed is not None else "",
                f"{free:,} bytes free" if free is not None else "",
            )
            if part
        )
        why = f"the disk holding {folder} is full{f' ({sizes})' if sizes else ''}"
        fix = (
            "Free space there (`dvc gc -w` drops cache entries the workspace does not use), or "
            "point DVC's cache elsewhere (`dvc cache dir`), then rerun."
        )
    elif code == errno.EROFS:
        why = f"the filesystem holding {folder} is mounted read-only"
        fix = "Run from a writable copy of the project, or remount the filesystem read-write."
    elif code in (errno.EACCES, errno.EPERM):
        why = f"permission denied: this user may not write in {folder}"
        fix = f"Make it writable (`chmod u+w {folder}`), or run as the user who owns it."
    elif code == errno.EISDIR or target.is_dir():
        why = f"{target} is a folder, where lrlab writes a file"
        fix = "Move or delete that folder, then rerun."
    elif code == errno.ENOTDIR:
        why = f"a part of the path {folder} is a file, not a folder"
        fix = "Move or delete that file, then rerun."
    else:
        why = exc.strerror or type(exc).__name__
        fix = "Check the path and the disk, then rerun."
    return WriteError(f"cannot write {target}: {why}. Nothing was written there. {fix}")


def _free_bytes(folder: Path) -> int | None:
    for place in (folder, *folder.parents):
        with contextlib.suppress(OSError):
            return shutil.disk_usage(place).free
    return None


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "wb", needed: int | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success rename it to ``path``. ``needed``
    (bytes) goes into the message when the disk is full."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open supports 'w' and 'wb', not {mode!r}")
    target = Path(path)
    tmp_name = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_UMASK)
        os.replace(tmp_name, target)
    except BaseException as exc:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise write_error(target, exc, needed) from None
        raise


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A fresh temporary folder beside ``path``; on success it replaces ``path`` whole, so
    readers see the old folder or the complete new one, never a half-written one."""
    target = Path(path)
    old = target.with_name(f".{target.name}.old")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise write_error(target, exc) from None
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_UMASK)
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise write_error(target, exc) from None
        if isinstance(exc, WriteError):  # a file inside: name the folder, not the temporary
            raise WriteError(str(exc).replace(str(tmp), str(target))) from None
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb", needed=len(data)) as handle:
        handle.write(data)


def write_json(path: str | os.PathLike[str], obj: Any, *copies: str | os.PathLike[str]) -> None:
    """Write ``obj`` as indented, key-sorted JSON to ``path`` (and the same bytes to each of
    ``copies``), each atomically."""
    text = json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n"
    for target in (path, *copies):
        write_text(target, text)


def write_csv(path: str | os.PathLike[str], columns: Mapping[str, Sequence[Any]]) -> None:
    """Write equal-length ``columns`` (lists or 1-D arrays) as a CSV with a header, atomically.
    Numbers are written in their shortest round-trip form (float32 as float32), as pandas
    writes them; the stdlib writer keeps pandas (~0.2 s to import) out of train and evaluate."""
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    lists = [v.astype(str).tolist() if hasattr(v, "astype") else v for v in columns.values()]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*lists, strict=True))
    write_text(path, buffer.getvalue())


def save_torch(path: str | os.PathLike[str], obj: Any) -> None:
    """``torch.save`` ``obj`` to ``path`` atomically (torch is imported only when called)."""
    import torch

    buffer = io.BytesIO()  # torch's zip writer reports a full disk as a RuntimeError
    torch.save(obj, buffer)
    write_bytes(path, buffer.getbuffer())


class UnreadableTorchFile(Exception):
    """:func:`load_torch` could not (or would not) load a file; the message says why."""


def load_torch(path: str | os.PathLike[str]) -> Any:
    """``torch.load`` ``path`` onto the CPU with ``weights_only=True``: tensors and plain
    containers only, never code. A missing file raises FileNotFoundError; a damaged file, or
    one holding other pickled objects, raises :class:`UnreadableTorchFile` with a short reason.
    """
    import pickle

    import torch

    try:
        _check_zip_crcs(path)  # torch's reader does not check them: a flipped bit loads
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except UnreadableTorchFile:
        raise
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        if found:
            reason = (
                f"it holds pickled Python objects ({found[1]}) besides tensors and plain data; "
                "lrlab loads with weights_only=True and refuses them, since unpickling them "
                "could run code"
            )
        else:
            found = re.search(r"Unsupported operand \d+", str(exc))
            detail = f"UnpicklingError: {found[0]}" if found else _first_sentence(exc)
            reason = f"damaged or not written by torch.save ({detail})"
    except Exception as exc:  # torch raises many types for damaged files
        if Path(path).is_file() and Path(path).stat().st_size == 0:
            reason = "the file is empty"
        else:
            reason = f"damaged or not written by torch.save ({_first_sentence(exc)})"
    raise UnreadableTorchFile(reason) from None


def _check_zip_crcs(path: str | os.PathLike[str]) -> None:
    """Raise :class:`UnreadableTorchFile` if a member of the zip archive ``torch.save``
    wrote fails its CRC-32; files that are not zip archives are left to ``torch.load``."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            # torch writes no attributes; its reader skips a member marked as a folder (DOS 0x10)
            folders = [i.filename for i in archive.infolist() if i.external_attr & 0x10]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise UnreadableTorchFile(f"damaged: {_first_sentence(exc)}") from None
    if bad is not None:
        raise UnreadableTorchFile(f"damaged: {bad} fails its CRC-32 check") from None
    if folders:
        raise UnreadableTorchFile(f"damaged: {folders[0]} is marked as a folder") from None


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 hex digest of the file at ``path``."""
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _first_sentence(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text.split(". ")[0].rstrip(".")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
