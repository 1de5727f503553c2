"""Stage ``prepare@<dataset>``, and what every dataset kind prepares with: split, scale,
describe.

:func:`prepare_dataset` reads ``seed`` and ``datasets.<dataset>`` (as dvc.yaml declares),
validated by :func:`dataset_settings` with its kind's schema, hands them to the kind
(:mod:`lrlab.datasets.kinds`) and writes its arrays and info. The helpers below are pure
functions of arrays, settings and the seed. Features come out float32
``[n, d]``; targets int64 ``[n]`` for classification, float32 ``[n]`` for regression. Every
split is seeded; scaling statistics come from the training part only. ``info`` records what
was done (the constants used, shapes, class counts) so later stages and people can see it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lrlab.base import layout
from lrlab.base.errors import DataError, invalid_values
from lrlab.base.io import write_json
from lrlab.core.config import ParamsFile
from lrlab.core.inputs import default_columns, scale_pixels
from lrlab.core.params_errors import parse_section, unknown_dataset
from lrlab.core.prepared import PreparedData, save_prepared
from lrlab.datasets import kinds

if TYPE_CHECKING:
    from lrlab.datasets.fetch.sources import RemoteDataset
    from lrlab.datasets.kinds import Dataset

Arrays = tuple[np.ndarray, np.ndarray]
Split = tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]


def split(
    name: str, x: np.ndarray, y: np.ndarray, fraction: float | None, seed: int, stratify: bool
) -> Split:
    """``(x_train, x_test, y_train, y_test)``, seeded; no test part when ``fraction`` is None."""
    if fraction is None:
        return x, None, y, None
    from sklearn.model_selection import train_test_split

    try:
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=fraction, random_state=seed, stratify=y if stratify else None
        )
    except ValueError as exc:
        raise DataError(
            f"{name}: cannot split {len(y)} rows with test_fraction {fraction} ({exc}). Choose "
            f"another datasets.{name}.test_fraction in params.yaml."
        ) from None
    return x_train, x_test, y_train, y_test


def build(
    name: str,
    task: str,
    parts: Split,
    normalization: dict[str, Any] | None,
    num_classes: int | None = None,
    *,
    columns: list[str] | tuple[str, ...] | None = None,
    target: str = "y",
    **extras: Any,
) -> PreparedData:
    """Arrays of the right dtypes plus the ``info`` every dataset carries. A table's
    ``columns`` name its raw input columns in order (default ``x`` for one, else ``x1`` …)
    and ``target`` its label column: what ``lrlab predict`` reads in a CSV of new rows."""
    x_train, x_test, y_train, y_test = parts
    if "image_shape" not in extras:
        extras.update(columns=list(columns or default_columns(x_train.shape[1])), target=target)
    y_dtype = np.int64 if task == "classification" else np.float32

    def features(x: np.ndarray | None) -> np.ndarray | None:
        return None if x is None else np.ascontiguousarray(x, np.float32)

    def targets(y: np.ndarray | None) -> np.ndarray | None:
        return None if y is None else np.ascontiguousarray(y, y_dtype)

    data = (features(x_train), targets(y_train), features(x_test), targets(y_test))
    keys = ("x_train", "y_train", "x_test", "y_test")
    info: dict[str, Any] = {
        "name": name,
        "task": task,
        "num_classes": num_classes,
        "shapes": {
            k: None if t is None else list(t.shape) for k, t in zip(keys, data, strict=True)
        },
        "class_counts": None,
        "normalization": normalization,
        **extras,
    }
    if task == "classification":
        assert num_classes is not None
        info["class_counts"] = {
            part: None if y is None else np.bincount(y, minlength=num_classes).tolist()
            for part, y in (("train", data[1]), ("test", data[3]))
        }
    return PreparedData(*data, info=info)


def floats(values: np.ndarray) -> list[float]:
    """``values`` flattened into a list of Python floats, as ``info`` records them."""
    return [float(v) for v in np.ravel(values)]


def prepare_images(
    name: str,
    train: Arrays,
    test: Arrays,
    cfg: Any,
    class_names: list[str] | tuple[str, ...] | None = None,
) -> PreparedData:
    """Official split; pixels flattened to 784, scaled to [0, 1], then ``(x - mean) / std``
    once (the lesson's training loop normalizes a second time; that is not repeated)."""

    names = list(class_names) if class_names else [str(d) for d in range(10)]
    x_train, x_test = (scale_pixels(images, cfg.mean, cfg.std) for images in (train[0], test[0]))
    parts = (x_train, x_test, train[1], test[1])
    normalization = {"mean": cfg.mean, "std": cfg.std}
    side = int(round(train[0][0].size ** 0.5))
    return build(
        name,
        "classification",
        parts,
        normalization,
        10,
        class_names=names,
        split="official",
        image_shape=[side, side],
    )


def split_kind(fraction: float | None, kind: str) -> str:
    """``kind`` (how the rows were split), or ``none`` when there is no test part."""
    return "none" if fraction is None else kind


def prepare_idx_images(dataset: Dataset, source: RemoteDataset) -> PreparedData:
    """An MNIST-style set as its download stage laid it out: both official splits read with
    torchvision, counted against ``source.rows``, then :func:`prepare_images`."""
    from lrlab.datasets import readers

    folder, rows = source.image_folder, source.rows
    assert folder is not None
    train = readers.read_images(dataset.raw, folder, True, rows.get("train"))
    test = readers.read_images(dataset.raw, folder, False, rows.get("test"))
    return prepare_images(dataset.name, train, test, dataset.settings, source.class_names)


def prepare_dataset(root: Path, params_path: Path, name: str) -> str:
    """Stage ``prepare@<name>``: ``datasets.<name>`` prepared by its kind into
    ``data/prepared/<name>.npz`` and ``.json``; returns the line the stage prints."""
    started = time.perf_counter()
    params = ParamsFile(params_path)
    settings = dataset_settings(params, name)  # unknown names and bad settings fail here
    dataset = kinds.Dataset(name, settings, params.seed(), root)
    prepared = kinds.load(settings.kind, name).prepare(dataset)
    target = layout.prepared_file(root, name)
    save_prepared(target, prepared)
    write_json(layout.prepared_info(root, name), prepared.info)
    return f"{summary(prepared.info)} -> {target} ({time.perf_counter() - started:.1f} s)"


def dataset_settings(params: ParamsFile, name: str) -> Any:
    """The validated settings of ``datasets.<name>``, by the schema of its kind."""
    datasets = params.datasets()
    if name not in datasets:
        raise unknown_dataset(name, list(datasets))
    raw, key = datasets[name], f"{kinds.SECTION}.{name}"
    if not isinstance(raw, dict):
        return parse_section(key, kinds.DatasetSettings, raw)
    if "kind" not in raw:
        raise invalid_values(
            [
                f"{key}.kind: required key is missing. Every dataset names its kind: "
                f"{', '.join(kinds.names())} (the modules in lrlab/datasets/kinds/)."
            ]
        )
    return parse_section(key, kinds.load(raw["kind"], name).settings, raw)


def summary(info: dict[str, Any]) -> str:
    """``prepare mnist: classification, 10 classes, train [60000, 784], test [10000, 784]``"""
    shapes = info["shapes"]
    parts = [info["task"]]
    if info.get("num_classes"):
        parts.append(f"{info['num_classes']} classes")
    parts.append(f"train {shapes['x_train']}")
    parts.append(f"test {shapes['x_test']}" if shapes["x_test"] else "no test split")
    return f"prepare {info['name']}: {', '.join(parts)}"
