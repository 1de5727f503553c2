"""Stage ``download@<dataset>``: a dataset's raw data, in ``data/raw/<dataset>/``.

The dataset's kind (:mod:`lrlab.datasets.kinds`), which dvc.yaml passes on the command line
from ``datasets.<dataset>.kind``, says what that is: the files of its source, fetched and
verified by :func:`~lrlab.datasets.fetch.download.download_dataset` (``DATA_MIRROR`` first), or, for
a kind with nothing to fetch (generated, listed in params.yaml, or your CSV, which its prepare
stage reads), a record of what the dataset is made from. Either way every ``prepare@<dataset>``
depends on its own ``data/raw/<dataset>``. Nothing here reads params.yaml or the variant
schemas, so no edit of those fetches a dataset again.
"""

from __future__ import annotations

import time
from pathlib import Path

from lrlab.base.io import atomic_dir, write_json
from lrlab.datasets import kinds
from lrlab.datasets.fetch.download import download_dataset, mirror_from_env

RECORD = "made_from.json"  # data/raw/<dataset>/ of a kind with nothing to fetch


def download(
    dataset: str, kind: str, out: Path, root: Path, *, timeout: float = 30.0, retries: int = 2
) -> str:
    """Fill ``out/<dataset>`` for a dataset of ``kind``, whole or not at all; ``root`` is the
    repository a relative ``DATA_MIRROR`` is taken from. Returns the line the stage prints."""
    found = kinds.load(kind, dataset)
    dest = Path(out) / dataset
    started = time.perf_counter()
    if found.source is None:
        with atomic_dir(dest) as folder:
            record = {"dataset": dataset, "kind": kind, "made_from": found.made_from}
            write_json(folder / RECORD, record)
        return f"download {dataset}: nothing to fetch ({found.made_from}) -> {dest}"
    mirror = mirror_from_env(root)
    download_dataset(found.source, dest, mirror, timeout=timeout, retries=retries)
    size = sum(path.stat().st_size for path in dest.rglob("*") if path.is_file())
    return (
        f"download {dataset}: {len(found.source.files)} file(s), {size / 1e6:.1f} MB verified "
        f"-> {dest} ({time.perf_counter() - started:.1f} s)"
    )
