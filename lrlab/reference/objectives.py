"""Full-batch objectives of linear models, computed by row blocks, and feature whitening.

The reference solvers (:mod:`lrlab.reference.solve`) minimise these with L-BFGS: the logistic and
softmax objectives, and a regression loss's own head (:mod:`lrlab.core.loss_table`). Features stay
in their own dtype: float32 data gets float32 matmuls block by block, while scores, residuals,
sums and the returned loss and gradient are float64, so a 60000 x 784 dataset never exists as
a float64 copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit

Array = np.ndarray
Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
WHITEN_RTOL = 1e-10  # drop feature directions with variance below this x the largest
BLOCK = 4096  # rows per block: the temporaries stay small


def _blockwise(x: Array, y: Array, k: int, head: Callable, dtype: Any, block: int) -> Objective:
    """Mean loss of the scores ``x W + b`` and its gradient in ``[W.ravel(), b]``; ``head(z, y)``
    gives a block's summed loss and residual d loss / d z. The matmuls run by row blocks in
    ``dtype`` (default: float32 for float32 ``x``, else float64; a block of another dtype is
    cast on its own); scores, residuals and sums are float64."""
    n, d = x.shape
    dtype = _feature_dtype(x) if dtype is None else np.dtype(dtype)

    def fun(theta: Array) -> tuple[float, Array]:
        w, b = theta[: d * k].reshape(d, k).astype(dtype), theta[d * k :]
        loss, grad_w, grad_b = 0.0, np.zeros((d, k)), np.zeros(k)
        for start in range(0, n, block):
            xb = x[start : start + block].astype(dtype, copy=False)
            part, r = head((xb @ w).astype(np.float64) + b, y[start : start + block])
            loss += part
            grad_w += xb.T @ r.astype(dtype)
            grad_b += r.sum(axis=0)
        return loss / n, np.concatenate([grad_w.ravel(), grad_b]) / n

    return fun


def _logistic_head(z: Array, y: Array) -> tuple[float, Array]:
    z = z[:, 0]
    return float(np.sum(np.logaddexp(0.0, z) - y * z)), (expit(z) - y)[:, None]


def _softmax_head(z: Array, y: Array) -> tuple[float, Array]:
    rows = np.arange(len(y))
    z -= z.max(axis=1, keepdims=True)  # z is a fresh block: overwritten with the residual
    picked = float(z[rows, y].sum())
    total = np.exp(z, out=z).sum(axis=1, keepdims=True)
    z /= total
    z[rows, y] -= 1.0
    return float(np.log(total).sum()) - picked, z


def logistic_objective(x: Array, y: Array, dtype: Any = None, block: int = BLOCK) -> Objective:
    """Mean binary cross-entropy of ``sigmoid(x w + b)`` and its gradient in ``[w, b]``."""
    return _blockwise(x, y, 1, _logistic_head, dtype, block)


def softmax_objective(
    x: Array, y: Array, k: int, dtype: Any = None, block: int = BLOCK
) -> Objective:
    """Mean cross-entropy of ``softmax(x W + b)`` and its gradient in ``[W.ravel(), b]``."""
    return _blockwise(x, y, k, _softmax_head, dtype, block)


def regression_objective(
    x: Array, y: Array, head: Callable, dtype: Any = None, block: int = BLOCK
) -> Objective:
    """Mean regression loss ``head`` of ``x w + b`` and its gradient in ``[w, b]``."""
    return _blockwise(x, y, 1, head, dtype, block)


def scores(x: Array, w: Array, b: Array | float, block: int = BLOCK) -> Array:
    """``x @ w + b`` in float64, by row blocks (never a float64 copy of all of ``x``)."""
    return np.concatenate([x[i : i + block] @ w + b for i in range(0, max(len(x), 1), block)])


def _feature_dtype(x: Array) -> np.dtype:
    return np.dtype(np.float32 if x.dtype == np.float32 else np.float64)


def whiten(x: Array, block: int = BLOCK) -> tuple[Array, Array, Array]:
    """``((x - mean) @ t, mean, t)``: centred, decorrelated, unit-variance features. The
    objectives are invariant under this affine map (there is an intercept), and L-BFGS
    converges far faster on it; directions of (numerically) zero variance are dropped. Mean
    and covariance are accumulated in float64 by row blocks; the features are filled by row
    blocks in ``x``'s float dtype (float32 stays float32)."""
    starts = range(0, len(x), block)
    mean = sum(x[i : i + block].sum(axis=0, dtype=np.float64) for i in starts) / len(x)
    cov = np.zeros((x.shape[1],) * 2)
    for i in starts:
        centred = x[i : i + block] - mean  # a float64 block
        cov += centred.T @ centred
    evals, evecs = np.linalg.eigh(cov / len(x))
    keep = evals > WHITEN_RTOL * max(evals.max(initial=0.0), np.finfo(float).tiny)
    t = evecs[:, keep] / np.sqrt(evals[keep])
    xw, t_cast = np.empty((len(x), t.shape[1]), _feature_dtype(x)), t.astype(_feature_dtype(x))
    for i in starts:
        np.matmul((x[i : i + block] - mean).astype(t_cast.dtype), t_cast, out=xw[i : i + block])
    return xw, mean, t
