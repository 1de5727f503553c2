"""Stages ``prepare`` and ``prepare_csv``: raw, generated or your own data ->
``data/prepared/<dataset>.npz`` and ``.json``.

    python -m stages.prepare mnist       # a lesson dataset: lesson_datasets.mnist
    python -m stages.prepare my-data     # your own CSV: datasets.my-data (kind: csv)

Reads only ``seed`` and the dataset's own settings from params.yaml (as dvc.yaml declares).
Your CSV is read from ``data/external/`` or, for a URL source, downloaded and verified by its
sha256 into a temporary folder first (``DATA_MIRROR/<dataset>/<file name>`` is tried first).
torchvision and scikit-learn are imported only by the datasets that need them, and nothing
here imports torch otherwise, to keep start-up short.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lrlab import layout
from lrlab.config import ParamsFile
from lrlab.datasets import embedded, readers, registry
from lrlab.datasets import prepare as prep
from lrlab.datasets.csv_table import CsvDatasetConfig, is_url, prepare_csv, verify_sha256
from lrlab.datasets.download import download_dataset, mirror_from_env
from lrlab.datasets.prepared import PreparedData, save_prepared
from lrlab.errors import DataError
from lrlab.io import write_json
from stages._cli import run

REPO = Path(__file__).resolve().parents[1]

Preparer = Callable[[str, Any, int, Path], PreparedData]


def _images(name: str, cfg: Any, seed: int, raw: Path) -> PreparedData:
    spec = registry.REMOTE[name]
    assert spec.image_folder is not None
    train = readers.read_images(raw / name, spec.image_folder, True, spec.rows.get("train"))
    test = readers.read_images(raw / name, spec.image_folder, False, spec.rows.get("test"))
    return prep.prepare_images(name, train, test, cfg, spec.class_names)


def _table_path(name: str, raw: Path) -> tuple[Path, int | None]:
    spec = registry.REMOTE[name]
    return raw / name / spec.files[0].output, spec.rows.get("all")


def _exam_scores(name: str, cfg: Any, seed: int, raw: Path) -> PreparedData:
    x, y = readers.read_exam_scores(*_table_path(name, raw))
    return prep.prepare_exam_scores(x, y, cfg, seed)


def _diabetes(name: str, cfg: Any, seed: int, raw: Path) -> PreparedData:
    x, y = readers.read_diabetes(*_table_path(name, raw))
    return prep.prepare_diabetes(x, y, cfg, seed)


def _breast_cancer(name: str, cfg: Any, seed: int, raw: Path) -> PreparedData:
    x, y, class_names = embedded.breast_cancer()
    return prep.prepare_breast_cancer(x, y, cfg, seed, class_names)


def _synthetic(name: str, cfg: Any, seed: int, raw: Path) -> PreparedData:
    x, y, coef = embedded.synthetic_regression(cfg, seed)
    return prep.prepare_synthetic_regression(x, y, coef, cfg, seed)


def _two_clusters(name: str, cfg: Any, seed: int, raw: Path) -> PreparedData:
    x, y = embedded.two_clusters(cfg, seed)
    return prep.prepare_two_clusters(x, y, cfg, seed)


def _toy(name: str, cfg: Any, seed: int, raw: Path) -> PreparedData:
    return prep.prepare_toy(name, *embedded.toy(cfg))


def own_csv(name: str, cfg: CsvDatasetConfig, seed: int, root: Path) -> PreparedData:
    """Your CSV at ``cfg.source``: a file under data/external/ or a verified download."""
    if is_url(cfg.source):
        assert cfg.sha256 is not None  # the config requires it for a URL
        spec = registry.url_dataset(name, cfg.source, cfg.sha256)
        with tempfile.TemporaryDirectory(prefix=f"lrlab-{name}-") as tmp:
            folder = download_dataset(spec, Path(tmp, name), mirror_from_env(root))
            return prepare_csv(name, folder / spec.files[0].output, cfg, seed)
    path = root / cfg.source
    if not path.is_file():
        raise DataError(
            f"{name}: datasets.{name}.source = {cfg.source!r}: no such file under {root}. "
            f"Put your CSV there and `dvc add {cfg.source}` (in a clone, `dvc pull` fetches "
            f"it), or fix the path in params.yaml."
        )
    if cfg.sha256:
        verify_sha256(path, cfg.sha256, name)
    return prepare_csv(name, path, cfg, seed)


PREPARERS: dict[str, Preparer] = {
    "mnist": _images,
    "fashion-mnist": _images,
    "exam-scores": _exam_scores,
    "diabetes": _diabetes,
    "breast-cancer": _breast_cancer,
    "synthetic-regression": _synthetic,
    "two-clusters": _two_clusters,
    **{name: _toy for name in ("hours-pass", "study-hours", "linear-toy", "linear-15pt")},
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stages.prepare", description=__doc__)
    parser.add_argument(
        "dataset", help="one of: " + ", ".join(PREPARERS) + ", or a key under datasets:"
    )
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--root", type=Path, default=REPO, help="repository root")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    params = ParamsFile(args.params)
    cfg = params.dataset(args.dataset, CsvDatasetConfig)  # unknown names fail here
    if isinstance(cfg, CsvDatasetConfig):
        prepared = own_csv(args.dataset, cfg, params.seed(), args.root)
    else:
        raw = layout.raw_dir(args.root, args.dataset).parent
        prepared = PREPARERS[args.dataset](args.dataset, cfg, params.seed(), raw)
    target = layout.prepared_file(args.root, args.dataset)
    save_prepared(target, prepared)
    write_json(layout.prepared_info(args.root, args.dataset), prepared.info)
    print(f"{summary(prepared.info)} -> {target} ({time.perf_counter() - started:.1f} s)")


def summary(info: dict[str, Any]) -> str:
    """``prepare mnist: classification, 10 classes, train [60000, 784], test [10000, 784]``"""
    shapes = info["shapes"]
    parts = [info["task"]]
    if info.get("num_classes"):
        parts.append(f"{info['num_classes']} classes")
    parts.append(f"train {shapes['x_train']}")
    parts.append(f"test {shapes['x_test']}" if shapes["x_test"] else "no test split")
    return f"prepare {info['name']}: {', '.join(parts)}"


if __name__ == "__main__":
    run(main)
