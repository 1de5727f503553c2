"""Where training runs: the ``device`` and ``num_threads`` settings of params.yaml.

``auto`` picks CUDA when a GPU is visible and the CPU otherwise, and logs the choice;
``cuda:N`` pins one GPU (so queued experiments can each take their own, ``-S device=cuda:1``).
Asking for a GPU that is not there is a configuration error, not a silent fallback.
"""

from __future__ import annotations

import logging
import os

import torch

from lrlab.base.errors import ConfigError
from lrlab.core.config import CUDA_INDEX

log = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    """The torch device for the ``device`` setting ``auto``, ``cpu``, ``cuda`` or ``cuda:N``."""
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or CUDA_INDEX.fullmatch(name):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"params.yaml: device = {name!r}, but no CUDA GPU is available on this machine "
                "(torch.cuda.is_available() is False). Set `device: cpu` or `device: auto` in "
                "params.yaml (or `dvc exp run -S device=auto`), or run on a machine with a GPU."
            )
        device = torch.device(name)
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise ConfigError(
                f"params.yaml: device = {name!r}, but this machine has {count} CUDA GPU(s), "
                f"numbered 0 to {count - 1} (nvidia-smi lists them; CUDA_VISIBLE_DEVICES may "
                f"hide some). Set `device: cuda:0`..`cuda:{count - 1}`, `cuda` or `auto`."
            )
        return device
    if name == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        why = (
            "" if device.type == "cuda" else " (no CUDA GPU available, so training runs on the CPU)"
        )
        log.info("device: auto -> %s%s", _describe(device), why)
        return device
    raise ConfigError(f"params.yaml: device = {name!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'.")


def _describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return "cpu"


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``tensor`` on ``device``. A copy to a GPU goes through pinned host memory and does not
    block the host; work queued after it on the same stream sees the finished copy."""
    if device.type != "cuda":
        return tensor.to(device)
    return tensor.pin_memory().to(device, non_blocking=True)


def configure_threads(n: int) -> int:
    """Use ``n`` CPU threads for torch (0 = every core); returns the number set."""
    threads = n if n > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    return threads
