"""Peak memory of the running stage, recorded beside its timings in the metrics
(``train_peak_rss_mb``, ``train_peak_cuda_mb`` on a GPU, ``evaluate_peak_rss_mb``); the gate
reports them and never fails on them (``*_mb``, like ``*_seconds``)."""

from __future__ import annotations

import resource
import sys
from typing import Any


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MiB (one decimal)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def peak_cuda_mb(device: Any) -> float | None:
    """Peak memory torch allocated on ``device`` (a ``torch.device``), in MiB; None off CUDA."""
    if getattr(device, "type", None) != "cuda":
        return None
    import torch

    return round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
