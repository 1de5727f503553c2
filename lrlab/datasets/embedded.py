"""Datasets that need no download: generated from a seed, shipped with scikit-learn, or
listed in params.yaml. Pure functions returning NumPy arrays; scikit-learn is imported only
by the functions that use it.
"""

from __future__ import annotations

import numpy as np

from lrlab.config import SyntheticRegressionConfig, ToyConfig, TwoClustersConfig


def breast_cancer() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """scikit-learn's Wisconsin breast cancer data: ``x`` [569, 30], ``y`` (0 malignant,
    1 benign) and the class names."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    names = [str(name) for name in bunch.target_names]
    return bunch.data.astype(np.float64), bunch.target.astype(np.int64), names


def synthetic_regression(
    cfg: SyntheticRegressionConfig, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``make_regression`` with the lesson's settings: ``x`` [n, d], ``y`` [n] and the true
    coefficients [d] (the bias is 0)."""
    from sklearn.datasets import make_regression

    x, y, coef = make_regression(
        n_samples=cfg.n_samples,
        n_features=cfg.n_features,
        noise=cfg.noise,
        coef=True,
        random_state=seed,
    )
    return x, y, np.atleast_1d(coef)


def two_clusters(cfg: TwoClustersConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class 0 drawn around ``+center`` and class 1 around ``-center`` on every axis, each
    with ``n_per_class`` points of standard deviation ``std``."""
    rng = np.random.default_rng(seed)
    shape = (cfg.n_per_class, cfg.n_features)
    x = np.concatenate(
        [rng.normal(cfg.center, cfg.std, shape), rng.normal(-cfg.center, cfg.std, shape)]
    )
    y = np.repeat(np.arange(2, dtype=np.int64), cfg.n_per_class)
    return x, y


def toy(cfg: ToyConfig) -> tuple[np.ndarray, np.ndarray]:
    """A lesson's handful of points: ``x`` [n, 1] and ``y`` [n] (float64)."""
    return np.asarray(cfg.x, dtype=np.float64).reshape(-1, 1), np.asarray(cfg.y, dtype=np.float64)
