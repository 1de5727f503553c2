"""Does Fashion-MNIST's unpenalised softmax regression have a finite optimum? Newton's method
on the reference's own problem, to see whether the weights settle.

    python scripts/fashion_newton_evidence.py [--float64] [--iterations 300]

Minimises the mean cross-entropy of ``softmax(x W + b)`` on the whitened training features
(:func:`lrlab.reference.objectives.whiten`, as the reference does) with SciPy's trust-region Newton
method (``trust-krylov``) and exact Hessian-vector products, printing the loss, the gradient
norm and the parameter norm every 5 iterations, then the loss and gradient norm in the
original features and the peak memory. A finite optimum shows as the gradient falling
quadratically with the parameters settling; a loss that keeps creeping down while the
parameters grow is what an infimum that is not attained looks like. Needs
data/prepared/fashion-mnist.npz (`dvc repro prepare@fashion-mnist`); minutes per run.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lrlab.base import layout  # noqa: E402
from lrlab.core.prepared import load_prepared  # noqa: E402
from lrlab.reference.objectives import softmax_objective, whiten  # noqa: E402

K = 10


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--float64", action="store_true", help="float64 products (slower)")
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args(argv)
    data = load_prepared(layout.prepared_file(REPO, "fashion-mnist"), "prepare@fashion-mnist")
    x, y = data.x_train, data.y_train.astype(np.int64)
    start = time.perf_counter()
    xw, mean, t = whiten(x)
    n, r = xw.shape
    dtype = np.float64 if args.float64 else np.float32
    xd = xw.astype(dtype)
    rows = np.arange(n)
    cache: dict[str, np.ndarray] = {}

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[: r * K].reshape(r, K), theta[r * K :]
        z = (xd @ w.astype(dtype)).astype(np.float64) + b
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        p = e / s
        loss = (np.log(s).sum() - z[rows, y].sum()) / n
        resid = p.copy()
        resid[rows, y] -= 1.0
        grad_w = (xd.T @ resid.astype(dtype)).astype(np.float64)
        cache["p"] = p
        return loss, np.concatenate([grad_w.ravel(), resid.sum(axis=0)]) / n

    def hessp(theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        p = cache["p"]
        z = (xd @ v[: r * K].reshape(r, K).astype(dtype)).astype(np.float64) + v[r * K :]
        s = p * z
        s -= p * s.sum(axis=1, keepdims=True)
        grad_w = (xd.T @ s.astype(dtype)).astype(np.float64)
        return np.concatenate([grad_w.ravel(), s.sum(axis=0)]) / n

    count = [0]

    def report(theta: np.ndarray, *_: object) -> None:
        count[0] += 1
        if count[0] % 5 == 0:
            loss, grad = fun(theta)
            print(
                f"{count[0]:4d}  loss {loss:.10f}  |grad| {np.linalg.norm(grad):.2e}  "
                f"|theta| {np.linalg.norm(theta):7.1f}  {time.perf_counter() - start:6.1f} s",
                flush=True,
            )

    options = {"gtol": 1e-9, "maxiter": args.iterations}
    fit = minimize(
        fun, np.zeros((r + 1) * K), jac=True, hessp=hessp, method="trust-krylov",
        callback=report, options=options,
    )  # fmt: skip
    w = t @ fit.x[: r * K].reshape(r, K)
    b = fit.x[r * K :] - mean @ w
    loss, grad = softmax_objective(x, y, K, np.float64)(np.concatenate([w.ravel(), b]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{fit.message} after {fit.nit} iterations, {time.perf_counter() - start:.0f} s")
    print(f"original features: loss {loss:.10f}, |grad| {np.linalg.norm(grad):.2e}")
    print(f"parameter norm {np.linalg.norm(fit.x):.1f}; peak resident memory {peak:.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
