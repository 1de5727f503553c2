"""Shared pytest fixtures: local network endpoints for the dataset download tests, and one
torch thread for tests of tiny models; and the order files run in."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import pytest
import torch
from fixtures_data import FileServer


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores this process may use, since the end-to-end
    files spend part of their time waiting on DVC and stage subprocesses."""
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None  # Linux only
    return (len(usable) if usable else os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files marked ``end_to_end`` first (a stable sort keeps every file's own order): with one
    file per worker at a time, a long file started last would leave the other workers idle."""
    items.sort(key=lambda item: item.get_closest_marker("end_to_end") is None)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny problems gain nothing from threads and slow down a lot on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def http_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FileServer]:
    """A real HTTP server on 127.0.0.1 (any free port), serving ``server.routes``."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = FileServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections but never answers."""
    sock = socket.create_server(("127.0.0.1", 0), backlog=8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/silent/"
    sock.close()


@pytest.fixture
def closed_url() -> str:
    """A URL on a port where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/closed/"
