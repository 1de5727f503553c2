"""Turn raw arrays into :class:`~lrlab.datasets.prepared.PreparedData`: split, scale, describe.

Pure functions of arrays, a dataset's config and the seed. Features come out float32
``[n, d]``; targets int64 ``[n]`` for classification, float32 ``[n]`` for regression. Every
split is seeded; scaling statistics come from the training part only. ``info`` records what
was done (the constants used, shapes, class counts) so later stages and people can see it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lrlab.config import (
    BreastCancerConfig,
    ExamScoresConfig,
    ImageConfig,
    SyntheticRegressionConfig,
    TabularSplitConfig,
    TwoClustersConfig,
)
from lrlab.datasets.prepared import PreparedData
from lrlab.errors import DataError

CLASSIFICATION_TOYS = ("hours-pass", "study-hours")
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
    **extras: Any,
) -> PreparedData:
    """Arrays of the right dtypes plus the ``info`` every dataset carries."""
    x_train, x_test, y_train, y_test = parts
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


def _floats(values: np.ndarray) -> list[float]:
    return [float(v) for v in np.ravel(values)]


def prepare_images(
    name: str,
    train: Arrays,
    test: Arrays,
    cfg: ImageConfig,
    class_names: list[str] | tuple[str, ...] | None = None,
) -> PreparedData:
    """Official split; pixels flattened to 784, scaled to [0, 1], then ``(x - mean) / std``
    once (the lesson's training loop normalizes a second time; that is not repeated)."""

    def scale(images: np.ndarray) -> np.ndarray:
        x = images.reshape(len(images), -1).astype(np.float32)
        x /= np.float32(255.0)
        x -= np.float32(cfg.mean)
        x /= np.float32(cfg.std)
        return x

    names = list(class_names) if class_names else [str(d) for d in range(10)]
    parts = (scale(train[0]), scale(test[0]), train[1], test[1])
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


def prepare_exam_scores(
    x: np.ndarray, y: np.ndarray, cfg: ExamScoresConfig, seed: int
) -> PreparedData:
    """Each feature column divided by its maximum over the training rows."""
    x_train, x_test, y_train, y_test = split("exam-scores", x, y, cfg.test_fraction, seed, True)
    scale = x_train.max(axis=0)
    if np.any(scale <= 0):
        raise DataError(
            "exam-scores: a feature column has no positive value in the training rows, so it "
            "cannot be divided by its maximum. Check data/raw/exam-scores/data.txt."
        )
    parts = (x_train / scale, None if x_test is None else x_test / scale, y_train, y_test)
    normalization = {"mean": [0.0] * len(scale), "std": _floats(scale)}
    return build(
        "exam-scores",
        "classification",
        parts,
        normalization,
        2,
        feature_scale=_floats(scale),
        split=_split_kind(cfg.test_fraction, "stratified"),
    )


def prepare_diabetes(
    x: np.ndarray, y: np.ndarray, cfg: TabularSplitConfig, seed: int
) -> PreparedData:
    """Seeded stratified split; the features are already scaled to [-1, 1]."""
    parts = split("diabetes", x, y, cfg.test_fraction, seed, True)
    return build("diabetes", "classification", parts, None, 2, split="stratified")


def prepare_breast_cancer(
    x: np.ndarray,
    y: np.ndarray,
    cfg: BreastCancerConfig,
    seed: int,
    class_names: list[str] | None = None,
) -> PreparedData:
    """Seeded stratified split, then standardized with the training part's statistics."""
    x_train, x_test, y_train, y_test = split("breast-cancer", x, y, cfg.test_fraction, seed, True)
    normalization = None
    if cfg.standardize:
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(x_train)
        x_train = scaler.transform(x_train)
        x_test = None if x_test is None else scaler.transform(x_test)
        normalization = {"mean": _floats(scaler.mean_), "std": _floats(scaler.scale_)}
    parts = (x_train, x_test, y_train, y_test)
    extras = {"class_names": class_names} if class_names else {}
    return build(
        "breast-cancer", "classification", parts, normalization, 2, split="stratified", **extras
    )


def prepare_synthetic_regression(
    x: np.ndarray, y: np.ndarray, coef: np.ndarray, cfg: SyntheticRegressionConfig, seed: int
) -> PreparedData:
    """``make_regression`` output, with the true weight (and bias 0) recorded."""
    parts = split("synthetic-regression", x, y, cfg.test_fraction, seed, False)
    return build(
        "synthetic-regression",
        "regression",
        parts,
        None,
        true_weight=_floats(coef),
        true_bias=0.0,
        split=_split_kind(cfg.test_fraction, "random"),
    )


def prepare_two_clusters(
    x: np.ndarray, y: np.ndarray, cfg: TwoClustersConfig, seed: int
) -> PreparedData:
    """Two Gaussian clusters, optionally split (stratified, seeded)."""
    parts = split("two-clusters", x, y, cfg.test_fraction, seed, True)
    return build(
        "two-clusters",
        "classification",
        parts,
        None,
        2,
        split=_split_kind(cfg.test_fraction, "stratified"),
    )


def prepare_toy(name: str, x: np.ndarray, y: np.ndarray) -> PreparedData:
    """A lesson's few points, all for training: class labels for the pass/fail toys,
    real targets for the linear ones."""
    parts = (x, None, y, None)
    if name not in CLASSIFICATION_TOYS:
        return build(name, "regression", parts, None, split="none")
    if not np.all(np.isin(y, (0, 1))):
        raise DataError(
            f"{name}: y = {_floats(y)} must hold class labels 0 or 1. Fix datasets.{name}.y in "
            "params.yaml."
        )
    return build(name, "classification", (x, None, y.astype(np.int64), None), None, 2, split="none")


def _split_kind(fraction: float | None, kind: str) -> str:
    return "none" if fraction is None else kind
