"""Fetch a remote dataset into ``data/raw/<name>/``, verified, whole or not at all.

Each file is tried from every source in turn: the mirror copy ``<mirror>/<dataset>/<published
name>`` when a mirror folder is given, then each canonical URL (with a timeout and a few
retries for transient network errors). Gzip archives are decompressed while streaming and the
decompressed bytes are hashed, so a file is accepted only when its size and sha256 match its
pins (:mod:`lrlab.datasets.fetch.sources`). A source that fails (unreachable, damaged, different
content) is skipped; when every source fails, :class:`~lrlab.base.errors.DataError` reports each
one's failure.

The whole dataset is assembled in a hidden temporary folder beside the destination and
renamed into place at the end, so an error or Ctrl-C never leaves a partial file behind. A
process killed outright (SIGKILL, power loss) can leave such a folder; the next download of
the same dataset removes it first.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import hashlib
import http.client
import os
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from lrlab.base.errors import DataError
from lrlab.base.io import write_error
from lrlab.datasets.fetch.sources import RemoteDataset, RemoteFile

CHUNK_BYTES = 1 << 20
EXPERIMENT_COPIES = (".dvc", "tmp", "exps")  # where DVC copies the project for an experiment
MIRROR_HINT = (
    "With no internet access, point DATA_MIRROR at an offline copy laid out as "
    "<dataset>/<published file name> (a relative path is resolved against the repository "
    "root), e.g. `DATA_MIRROR=../shared/datasets dvc repro`."
)


class SourceFailed(Exception):
    """One source could not deliver a verified copy of a file (the next one is tried)."""


def download_dataset(
    spec: RemoteDataset,
    dest: str | os.PathLike[str],
    mirror: str | os.PathLike[str] | None = None,
    *,
    timeout: float = 30.0,
    retries: int = 2,
    backoff: float = 1.0,
    progress: bool = True,
) -> Path:
    """Download and verify every file of ``spec`` into the folder ``dest`` (replaced whole)."""
    dest = Path(dest)
    mirror_dir = _check_mirror(mirror)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(dest)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    except OSError as exc:
        raise write_error(dest, exc) from None
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the dataset folder is not
        for item in spec.files:
            failures = []
            for source in _sources(spec, item, mirror_dir):
                target = staging / item.output
                try:
                    _fetch(source, item, target, timeout, retries, backoff, progress)
                    break
                except SourceFailed as exc:
                    target.unlink(missing_ok=True)
                    failures.append(f"{source}: {exc}")
            else:
                raise DataError(_all_failed(spec, item, failures, dest))
        _move_into_place(staging, dest)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise write_error(dest, exc) from None
        raise
    return dest


def remove_stale_staging(dest: Path) -> list[Path]:
    """Delete the hidden ``.<name>.*.tmp`` folders an earlier, killed download of ``dest``
    left beside it (staging and ``.old`` folders alike); returns what was removed."""
    stale = [p for p in dest.parent.glob(f".{glob.escape(dest.name)}.*.tmp") if p.is_dir()]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


def mirror_from_env(root: Path, environ: Mapping[str, str] = os.environ) -> Path | None:
    """``DATA_MIRROR`` as a path; a relative one is taken from the project ``root`` belongs
    to, also when ``root`` is the temporary copy a queued or ``--temp`` experiment runs in."""
    value = environ.get("DATA_MIRROR", "").strip()
    return (project_root(root) / value).resolve() if value else None


def project_root(root: Path) -> Path:
    """The project whose ``.dvc/tmp/exps/<name>/`` is ``root`` (DVC runs queued and
    ``--temp`` experiments in such a copy), or ``root`` itself."""
    parts = Path(root).resolve().parts
    for i in range(len(parts) - len(EXPERIMENT_COPIES)):
        if parts[i : i + len(EXPERIMENT_COPIES)] == EXPERIMENT_COPIES:
            return Path(*parts[:i])
    return Path(root)


def _check_mirror(mirror: str | os.PathLike[str] | None) -> Path | None:
    if mirror is None:
        return None
    path = Path(mirror)
    if not path.is_dir():
        raise DataError(
            f"The dataset mirror folder {path} does not exist (or is not a folder). Fix the "
            "DATA_MIRROR path (a relative path is resolved against the repository root; the "
            "folder must hold <dataset>/<published file name>), or unset DATA_MIRROR to "
            "download from the canonical URLs."
        )
    return path


def _sources(spec: RemoteDataset, item: RemoteFile, mirror: Path | None) -> list[Path | str]:
    """The mirror copy (if any) first, then the canonical URLs in order."""
    found: list[Path | str] = [mirror / spec.name / item.published] if mirror else []
    return found + [base + item.published for base in spec.urls]


def _fetch(
    source: Path | str,
    item: RemoteFile,
    target: Path,
    timeout: float,
    retries: int,
    backoff: float,
    progress: bool,
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        try:
            with open(source, "rb") as stream:
                _copy_verified(stream, os.fstat(stream.fileno()).st_size, item, target, progress)
        except (FileNotFoundError, IsADirectoryError):
            raise SourceFailed("not in the mirror") from None
        except OSError as exc:
            raise SourceFailed(f"cannot be read ({exc})") from None
        return
    for attempt in range(max(retries, 0) + 1):
        try:
            with urllib.request.urlopen(source, timeout=timeout) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                _copy_verified(response, total, item, target, progress)
            return
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code < 500 or attempt == retries:
                raise SourceFailed(f"HTTP error {exc.code} ({exc.reason})") from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if attempt == retries:
                tries = f" (after {retries + 1} attempts)" if retries else ""
                raise SourceFailed(_describe(exc, timeout) + tries) from None
        time.sleep(backoff * 2**attempt)


def _describe(exc: BaseException, timeout: float) -> str:
    """A short reason for a network failure."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return f"no answer within the {timeout:g} s timeout"
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve the host name (no internet access or DNS?): {reason}"
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
    return str(reason)


@contextlib.contextmanager
def _decompressed(stream: BinaryIO, gzipped: bool) -> Iterator[BinaryIO]:
    if not gzipped:
        yield stream
        return
    with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
        yield unzipped  # type: ignore[misc]


def _copy_verified(
    stream: BinaryIO, total: int | None, item: RemoteFile, target: Path, progress: bool
) -> None:
    """Stream ``stream`` (decompressed if gzipped) into ``target``, checking size and sha256."""
    digest = hashlib.sha256()
    size = 0
    bar = {"total": total, "desc": item.published, "disable": not progress}
    try:
        out = open(target, "wb")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise write_error(target, exc, item.size) from None
    with tqdm.wrapattr(stream, "read", **bar) as counted, out:
        try:
            with _decompressed(counted, item.gzipped) as reader:
                while chunk := reader.read(CHUNK_BYTES):
                    digest.update(chunk)
                    size += len(chunk)
                    if item.size is not None and size > item.size:
                        raise SourceFailed(
                            f"checksum mismatch: content is larger than the expected "
                            f"{item.size} bytes of {item.output}"
                        )
                    try:
                        out.write(chunk)
                    except OSError as exc:
                        raise write_error(target, exc, item.size) from None
        except EOFError:
            raise SourceFailed("truncated gzip data (the archive ends early)") from None
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise SourceFailed(f"not valid gzip data ({exc})") from None
    got = digest.hexdigest()
    want = "some data" if item.size is None else f"{item.size} bytes"
    if size == 0 and item.size != 0:
        after = " after decompression" if item.gzipped else ""
        raise SourceFailed(f"empty file: no data{after} (0 bytes; expected {want})")
    if got != item.sha256 or item.size not in (None, size):
        expected = "" if item.size is None else f" ({want})"
        raise SourceFailed(
            f"checksum mismatch for {item.output}: expected sha256 {item.sha256}{expected}, "
            f"got {got} ({size} bytes)"
        )


def _move_into_place(staging: Path, dest: Path) -> None:
    """Rename the finished folder onto ``dest``, replacing an older copy."""
    old = None
    if dest.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old.", suffix=".tmp", dir=dest.parent))
        os.replace(dest, old / dest.name)
    try:
        os.replace(staging, dest)
    except BaseException:
        if old is not None:
            os.replace(old / dest.name, dest)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _all_failed(spec: RemoteDataset, item: RemoteFile, failures: list[str], dest: Path) -> str:
    tried = "".join(f"\n  - {failure}" for failure in failures)
    return (
        f"Could not get {item.published} of dataset '{spec.name}': every source failed. "
        f"Sources tried, in order:{tried}\n"
        f"Nothing was written to {dest}. Check the internet connection and that the sources "
        f"above hold the expected file; replace or delete a damaged mirror copy. {MIRROR_HINT}"
    )
