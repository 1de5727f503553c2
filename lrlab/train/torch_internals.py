"""The speed-ups that reach into torch's internals, kept in one small module.

lrlab never uses ``torch.compile``, yet torch's optimizer wrappers import ``torch._dynamo``
(about a second, a third of a small variant's training stage) on first use only to keep
their methods out of compiled graphs. The two functions here avoid that import.
tests/test_torch_internals.py fails loudly when a torch upgrade makes either stop working:
then torch still works as before, only slower to start.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import torch

COMPILE_WRAPPED = ("add_param_group", "zero_grad")  # wrapped by torch/_compile.py


def skip_compile_hooks() -> list[str]:
    """Let ``Optimizer.__init__`` (``add_param_group``) and ``zero_grad`` run without importing
    ``torch._dynamo``. torch wraps them in ``torch._disable_dynamo``, which imports it on first
    call and caches the result as ``__dynamo_disable`` on the wrapped function; that cache is
    set to the function itself. Returns the names it could set (all of
    :data:`COMPILE_WRAPPED` while torch's internals are as this expects)."""
    done = []
    for name in COMPILE_WRAPPED:
        method = getattr(torch.optim.Optimizer, name)
        fn = getattr(method, "__wrapped__", None)
        if fn is not None and method.__code__.co_filename.endswith("_compile.py"):
            setattr(fn, "__dynamo_disable", fn)
            done.append(name)
    return done


def optimizer_step(optimizer: torch.optim.Optimizer) -> Callable[[], None]:
    """``optimizer.step`` as a function that does not import ``torch._dynamo``: the optimizer
    class's own ``step`` (what torch's wrappers call) under ``torch.no_grad()``, which is what
    the wrappers set for a non-differentiable optimizer. The wrappers add step hooks, which
    lrlab does not use, and a graph break for ``torch.compile``; tests check that the weights
    match ``optimizer.step()`` bit for bit."""
    step = inspect.unwrap(type(optimizer).step)

    def run() -> None:
        with torch.no_grad():
            step(optimizer)

    return run
