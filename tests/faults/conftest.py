"""Fixtures of the fault-injection suite (helpers live in faultkit.py)."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)  # in-process stages share two cores with everything else


@pytest.fixture
def stalling_url() -> Iterator[str]:
    """A server that sends the headers and a few bytes of the body, then never more."""
    sock = socket.create_server(("127.0.0.1", 0), backlog=8)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        sock.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n\x1f\x8b\x08\x00")
            held.append(conn)  # keep it open, silent

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/stalling/"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


@pytest.fixture
def repo(good_repo: Path, tmp_path: Path) -> Path:
    """A fresh copy of the module's ``good_repo`` fixture, to damage freely."""
    root = tmp_path / "repo"
    shutil.copytree(good_repo, root)
    return root
