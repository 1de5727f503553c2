"""Tiny generated stand-ins for the real datasets: IDX image files, CSV rows, registry specs,
and a local HTTP server that serves them. Nothing here reads the real data."""

from __future__ import annotations

import gzip
import hashlib
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from lrlab.datasets.registry import RemoteDataset, RemoteFile

IDX_STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
EXAM_TEXT = "".join(
    f"{30 + 7 * i % 60}.5,{40 + 11 * i % 55}.25,{int(i % 5 < 3)}\n" for i in range(20)
)


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` (uint8) in the IDX format torchvision reads: magic, dims, then the data."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def image_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    return images, (np.arange(n) % 10).astype(np.uint8)


def idx_contents(n_train: int = 6, n_test: int = 4) -> dict[str, bytes]:
    """Decompressed IDX file contents by stem, for a tiny MNIST-like set."""
    train, test = image_split(n_train, 1), image_split(n_test, 2)
    arrays = (train[0], train[1], test[0], test[1])
    return {stem: idx_bytes(a) for stem, a in zip(IDX_STEMS, arrays, strict=True)}


def write_idx_raw(
    root: Path, folder: str = "MNIST", contents: dict[str, bytes] | None = None
) -> Path:
    """Write the torchvision layout ``root/<folder>/raw/<stem>`` and return ``root``."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for stem, data in (contents or idx_contents()).items():
        (raw / stem).write_bytes(data)
    return root


def spec_for(
    name: str, contents: dict[str, bytes], urls: tuple[str, ...] = (), folder: str | None = None
) -> tuple[RemoteDataset, dict[str, bytes]]:
    """A registry entry for ``contents`` (published gzipped) and the published bytes."""
    files = tuple(
        RemoteFile(
            f"{stem}.gz",
            hashlib.sha256(data).hexdigest(),
            len(data),
            f"{folder}/raw/{stem}" if folder else stem,
            gzipped=True,
        )
        for stem, data in contents.items()
    )
    published = {f"{stem}.gz": gz(data) for stem, data in contents.items()}
    return RemoteDataset(name, urls, files, rows={}, image_folder=folder), published


def write_mirror(mirror: Path, name: str, published: dict[str, bytes]) -> Path:
    (mirror / name).mkdir(parents=True, exist_ok=True)
    for file_name, data in published.items():
        (mirror / name / file_name).write_bytes(data)
    return mirror


def files_under(path: Path) -> list[str]:
    """Every file and folder below ``path`` (hidden ones included), relative."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


class FileServer(ThreadingHTTPServer):
    """Serves ``routes`` (URL path -> body, ``(status, body)``, or a list of those, used in
    turn) and records each requested path in ``hits``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, object] = {}
        self.hits: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_port}/data/"

    def serve(self, published: dict[str, bytes]) -> None:
        self.routes.update({f"/data/{name}": body for name, body in published.items()})


class _Handler(BaseHTTPRequestHandler):
    server: FileServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.hits.append(self.path)
        reply = self.server.routes.get(self.path)
        if isinstance(reply, list):
            reply = reply.pop(0) if len(reply) > 1 else reply[0]
        if reply is None:
            self.send_error(404)
            return
        status, body = reply if isinstance(reply, tuple) else (200, reply)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass
