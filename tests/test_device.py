"""Device and thread settings: ``auto`` falls back to the CPU and says so, tensors move to a
GPU through pinned memory without blocking, and ``num_threads: 0`` means every core."""

from __future__ import annotations

import logging
import os

import pytest
import torch

from lrlab.base.errors import ConfigError
from lrlab.train.device import configure_threads, resolve_device, to_device


def test_auto_without_a_gpu_is_the_cpu_and_is_logged(monkeypatch, caplog):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with caplog.at_level(logging.INFO):
        assert resolve_device("auto") == torch.device("cpu")
    assert "no CUDA GPU available" in caplog.text
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ConfigError, match="device = 'cuda', but no CUDA GPU"):
        resolve_device("cuda")


def test_a_cpu_tensor_stays_where_it_is():
    t = torch.arange(3.0)
    assert to_device(t, torch.device("cpu")) is t


class RecordingTensor:
    """Stands in for a host tensor: records how it is moved to a GPU."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def pin_memory(self) -> RecordingTensor:
        self.calls.append(("pin_memory",))
        return self

    def to(self, device, non_blocking=False) -> RecordingTensor:
        self.calls.append(("to", str(device), non_blocking))
        return self


def test_a_copy_to_a_gpu_is_pinned_and_non_blocking():
    t = RecordingTensor()
    to_device(t, torch.device("cuda"))  # no GPU is touched: the tensor only records the calls
    assert t.calls == [("pin_memory",), ("to", "cuda", True)]


def test_zero_threads_means_every_core():
    before = torch.get_num_threads()
    try:
        assert configure_threads(1) == 1 and torch.get_num_threads() == 1
        assert configure_threads(0) == (os.cpu_count() or 1)
    finally:
        torch.set_num_threads(before)


def test_cuda_n_pins_one_gpu_and_a_missing_index_is_named(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="device = 'cuda:1', but no CUDA GPU"):
        resolve_device("cuda:1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)  # nothing is allocated on it
    with pytest.raises(ConfigError) as info:
        resolve_device("cuda:2")
    message = str(info.value)
    assert "device = 'cuda:2', but this machine has 2 CUDA GPU(s), numbered 0 to 1" in message
    assert "`device: cuda:0`..`cuda:1`" in message


@pytest.mark.parametrize("value", ["cuda:", "cuda:x", "gpu", "CUDA", "cuda:-1"])
def test_a_device_setting_that_is_no_device_is_refused_by_params(tmp_path, value):
    from lrlab.core.config import ParamsFile

    (tmp_path / "params.yaml").write_text(f"seed: 1\ndevice: '{value}'\n")
    with pytest.raises(ConfigError) as info:
        ParamsFile(tmp_path / "params.yaml").runtime()
    assert f"device = {value!r}" in str(info.value) and "'cuda:N'" in str(info.value)
