"""What a downloadable dataset is: its base URLs and its files, each pinned by checksum.

A dataset kind that downloads (:mod:`lrlab.datasets.kinds`) describes its source with these;
:mod:`lrlab.datasets.fetch.download` fetches and verifies it. Every file is pinned by the sha256 and
byte size of its *decompressed* content, which is the same whichever source served it (the
canonical URLs publish gzip archives; a mirror may hold recompressed copies). ``output`` is
the file's path inside ``data/raw/<dataset>/``, laid out so that
``torchvision.datasets.MNIST(root="data/raw/mnist", download=False)`` finds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RemoteFile:
    """One published file: fetched as ``<base url><published>``, stored at ``output``."""

    published: str
    sha256: str
    size: int | None  # None: not known in advance (your own file at a URL); sha256 decides
    output: str
    gzipped: bool = False


@dataclass(frozen=True)
class RemoteDataset:
    """A downloadable dataset: its base URLs (tried in order), files and expected rows.

    ``name`` is its folder in a ``DATA_MIRROR`` and the name its download errors give;
    ``rows`` maps a split (``train``/``test``, or ``all`` for a single table) to its number of
    examples; ``image_folder`` is the torchvision class name for MNIST-style sets.
    """

    name: str
    urls: tuple[str, ...]
    files: tuple[RemoteFile, ...]
    rows: dict[str, int] = field(default_factory=dict, hash=False)
    image_folder: str | None = None
    class_names: tuple[str, ...] | None = None


def idx_files(folder: str, digests: dict[str, tuple[str, int]]) -> tuple[RemoteFile, ...]:
    """MNIST-style gzipped IDX files (stem -> decompressed sha256 and size), stored where
    torchvision looks for them: ``<folder>/raw/<stem>``."""
    return tuple(
        RemoteFile(f"{stem}.gz", sha, size, f"{folder}/raw/{stem}", gzipped=True)
        for stem, (sha, size) in digests.items()
    )


def url_dataset(name: str, url: str, sha256: str) -> RemoteDataset:
    """Your own file at ``url`` as a one-file :class:`RemoteDataset`, stored under its name."""
    cut = url.rindex("/") + 1
    output = PurePosixPath(urlsplit(url).path).name or "data.csv"
    return RemoteDataset(name, (url[:cut],), (RemoteFile(url[cut:], sha256, None, output),))
