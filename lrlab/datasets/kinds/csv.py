"""Your own CSV file: ``datasets.<name>: {kind: csv, source: ..., target: ..., task: ...}``.

The file is a path under ``data/external/`` (`dvc add` it; every prepare stage depends on that
folder, so DVC sees a changed file) or an ``https://`` URL with its ``sha256``. Its download
stage fetches nothing (it reads ``kind`` alone, and the file's place is a setting):
``prepare@<name>`` reads the file, checked against ``sha256`` when given, or downloads it
verified into a temporary folder (``DATA_MIRROR/<name>/<file name>`` first), and
:func:`lrlab.datasets.csv_table.prepare_csv` checks, encodes, splits and standardizes it.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator

from lrlab.base import layout
from lrlab.base.schema import Fraction
from lrlab.datasets.kinds import Dataset, DatasetSettings, Kind

if TYPE_CHECKING:
    from lrlab.core.prepared import PreparedData

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
EXTERNAL_PARTS = layout.EXTERNAL.split("/")
LOOPBACK = ("127.0.0.1", "localhost", "::1")  # plain http:// is allowed for a local server


def is_url(source: str) -> bool:
    """Whether ``source`` is a URL (any scheme) rather than a path inside the repository."""
    return _SCHEME.match(source.strip()) is not None


def repeated(names: list[str]) -> str:
    """The names listed more than once in ``names``, quoted, in first-seen order."""
    return ", ".join(repr(n) for n in dict.fromkeys(n for n in names if names.count(n) > 1))


class Settings(DatasetSettings):
    """A CSV file in the repository (``data/external/my.csv``) or at an https:// URL."""

    source: str
    sha256: str | None = Field(default=None, validate_default=True)
    target: str
    task: Literal["classification", "regression"]
    features: list[str] | None = None
    categorical: list[str] = []
    missing: Literal["error", "drop"] = "error"
    test_fraction: Fraction | None = 0.2
    standardize: bool = True

    @field_validator("source")
    @classmethod
    def _source(cls, source: str) -> str:
        if is_url(source):
            parts = urlsplit(source.strip())
            local = parts.scheme.lower() == "http" and parts.hostname in LOOPBACK
            if parts.scheme.lower() != "https" and not local:
                raise ValueError(
                    f"only https:// URLs are allowed, not {parts.scheme}://; use the https "
                    "address, or save the file under data/external/ and give its path"
                )
            if not parts.hostname:
                raise ValueError("the URL names no host")
            return source.strip()
        windows, pieces = PureWindowsPath(source), re.split(r"[\\/]", source)
        if not source.strip() or PurePosixPath(source).is_absolute() or windows.is_absolute():
            raise ValueError("must be a relative path such as data/external/my.csv, or a URL")
        if windows.drive or source.startswith("~") or ".." in pieces:
            raise ValueError(
                "must be relative and stay inside the repository: no drive, '~' or '..'"
            )
        inside = [p for p in pieces if p not in ("", ".")]
        n = len(EXTERNAL_PARTS)
        if inside[:n] != EXTERNAL_PARTS or len(inside) == n:
            raise ValueError(
                f"must be a file under {layout.EXTERNAL}/ (the folder every prepare stage "
                f"depends on, so DVC sees a changed file): move it there, e.g. "
                f"{layout.EXTERNAL}/{inside[-1] if inside else 'my.csv'}, and `dvc add` it"
            )
        return "/".join(inside)

    @field_validator("sha256")
    @classmethod
    def _sha256(cls, sha256: str | None, info: ValidationInfo) -> str | None:
        if sha256 is None:
            if is_url(info.data.get("source") or ""):
                raise ValueError(
                    "required when source is a URL: the file's SHA-256, 64 hex digits "
                    "(`sha256sum FILE` prints it), so that a changed download is caught"
                )
            return None
        if not _SHA256.fullmatch(sha256):
            raise ValueError("must be 64 hexadecimal digits (`sha256sum FILE` prints them)")
        return sha256.lower()

    @field_validator("features", "categorical")
    @classmethod
    def _columns(cls, columns: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if columns is None:
            return None
        if not columns and info.field_name == "features":
            raise ValueError("must list at least one column (leave it out to use all but target)")
        if repeated(columns):
            raise ValueError(f"lists {repeated(columns)} more than once")
        if info.data.get("target") in columns:
            raise ValueError(f"must not include the target column {info.data['target']!r}")
        features = info.data.get("features") if info.field_name == "categorical" else None
        stray = [c for c in columns if features is not None and c not in features]
        if stray:
            raise ValueError(
                f"{', '.join(map(repr, stray))} not among features ({', '.join(features)}); "
                "add them to features or remove them here"
            )
        return columns


def prepare(dataset: Dataset) -> PreparedData:
    """The CSV at ``source``: a file under data/external/ or a verified download."""
    import tempfile
    from pathlib import Path

    from lrlab.base.errors import DataError
    from lrlab.datasets.csv_table import prepare_csv, verify_sha256
    from lrlab.datasets.fetch.download import download_dataset, mirror_from_env
    from lrlab.datasets.fetch.sources import url_dataset

    name, cfg, root = dataset.name, dataset.settings, dataset.root
    if is_url(cfg.source):
        assert cfg.sha256 is not None  # the settings require it for a URL
        spec = url_dataset(name, cfg.source, cfg.sha256)
        with tempfile.TemporaryDirectory(prefix=f"lrlab-{name}-") as tmp:
            folder = download_dataset(spec, Path(tmp, name), mirror_from_env(root))
            return prepare_csv(name, folder / spec.files[0].output, cfg, dataset.seed)
    path = root / cfg.source
    if not path.is_file():
        raise DataError(
            f"{name}: datasets.{name}.source = {cfg.source!r}: no such file under {root}. "
            f"Put your CSV there and `dvc add {cfg.source}` (in a clone, `dvc pull` fetches "
            f"it), or fix the path in params.yaml."
        )
    if cfg.sha256:
        verify_sha256(path, cfg.sha256, name)
    return prepare_csv(name, path, cfg, dataset.seed)


KIND = Kind(Settings, prepare, made_from="your CSV file (its source), read by its prepare stage")
