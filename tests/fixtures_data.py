"""Tiny generated stand-ins for the real datasets: IDX image files, CSV rows, source specs,
a local HTTP server that serves them, and prepared datasets of every shape with a params.yaml
for the reference/train/evaluate stages. Nothing here reads the real data."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import struct
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lrlab.core.loss_table import LOSSES
from lrlab.datasets.fetch.sources import RemoteDataset, RemoteFile

REPO = Path(__file__).resolve().parents[1]
BASE_PARAMS: dict[str, Any] = yaml.safe_load((REPO / "params.yaml").read_text())
IDX_STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
EXAM_TEXT = "".join(
    f"{30 + 7 * i % 60}.5,{40 + 11 * i % 55}.25,{int(i % 5 < 3)}\n" for i in range(20)
)
DIABETES_ROWS = "".join(
    f"{(i % 7) / 7 - 0.5:.4f},{i / 40:.3f},-0.1,0.2,0,0.3,-0.9,{(i % 3) / 3:.3f},{int(i < 30)}\n"
    for i in range(40)
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
    """A download source for ``contents`` (published gzipped) and the published bytes."""
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


def use_source(monkeypatch, module: Any, source: RemoteDataset) -> None:
    """Make the kind ``module`` (``lrlab.datasets.kinds.mnist``, say) download ``source``."""
    monkeypatch.setattr(module, "SOURCE", source)
    monkeypatch.setattr(module, "KIND", dataclasses.replace(module.KIND, source=source))


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


# --- prepared datasets for the reference, train and evaluate stages -----------------------

TOYS = ("hours-pass", "study-hours", "linear-toy", "linear-15pt")

# dataset -> (features, classes or 0 for regression, train size, test size, extra info)
SHAPES = {
    "hours-pass": (1, 2, 3, 0, {}),
    "study-hours": (1, 2, 4, 0, {}),
    "linear-toy": (1, 0, 3, 0, {}),
    "linear-15pt": (1, 0, 15, 0, {}),
    "synthetic-regression": (1, 0, 40, 0, {"true_weight": 41.5}),
    "exam-scores": (2, 2, 40, 0, {"feature_scale": [99.8, 98.9]}),
    "breast-cancer": (30, 2, 40, 12, {}),
    "diabetes": (8, 2, 40, 12, {}),
    "two-clusters": (2, 2, 32, 8, {}),
    "mnist": (784, 10, 80, 20, {"image_shape": [28, 28]}),  # as prepare_images records it
    "fashion-mnist": (784, 10, 80, 20, {"image_shape": [28, 28]}),
}


# What a user adds by params alone: a CSV dataset and two variants on it. The params-dependent
# tests run on the repository's params.yaml with these added (EXTENDED_PARAMS), so a variant or
# dataset added to params.yaml is covered by construction, never listed in a test.
ADDED_DATASETS = {
    "added-table": {
        "kind": "csv",
        "source": "data/external/added-table.csv",
        "target": "label",
        "task": "classification",
    }
}
ADDED_VARIANTS = {
    "added_softmax": {  # sizes from the data
        "dataset": "added-table",
        "model": {"kind": "softmax"},
        "loss": "cross_entropy",
        "optimizer": {"name": "sgd", "lr": 0.1},
        "epochs": 5,
    },
    "added_mlp_tanh": {
        "dataset": "added-table",
        "model": {"kind": "mlp", "sizes": ["in", 8, "out"], "activation": "tanh"},
        "loss": "cross_entropy",
        "optimizer": {"name": "adam", "lr": 0.01},
        "epochs": 5,
    },
}
EXTENDED_PARAMS: dict[str, Any] = {
    **BASE_PARAMS,
    "datasets": {**(BASE_PARAMS.get("datasets") or {}), **ADDED_DATASETS},
    "variants": {**BASE_PARAMS["variants"], **ADDED_VARIANTS},
}
ADDED_SHAPE = (3, 3, 30, 9, {})  # a dataset the fixtures do not know: 3 features, 3 classes


def shape_of(name: str) -> tuple[int, int, int, int, dict[str, Any]]:
    """``SHAPES[name]``, or for a dataset only params name (yours), a shape that fits every
    variant of :data:`EXTENDED_PARAMS` on it: the widths they write, else :data:`ADDED_SHAPE`."""
    if name in SHAPES:
        return SHAPES[name]
    d, k, n, n_test, extra = ADDED_SHAPE
    for variant in EXTENDED_PARAMS["variants"].values():
        if variant["dataset"] != name:
            continue
        sizes = variant["model"].get("sizes") or ["in", "out"]
        d = sizes[0] if isinstance(sizes[0], int) else d
        loss = LOSSES[variant["loss"]]
        if loss.task == "regression":
            k = 0
        elif not loss.multiclass:
            k = 2
        elif isinstance(sizes[-1], int):
            k = sizes[-1]
    return d, k, n, n_test, extra


def extended_variants() -> dict[str, Any]:
    """Every variant of :data:`EXTENDED_PARAMS`, parsed as the stages parse params.yaml."""
    import tempfile

    from lrlab.core.config import ParamsFile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "params.yaml"
        path.write_text(yaml.safe_dump(EXTENDED_PARAMS, sort_keys=False))
        params = ParamsFile(path)
        return {name: params.variant(name) for name in params.variant_keys()}


def make_dataset(name: str, seed: int = 0) -> Any:
    """A :class:`~lrlab.core.prepared.PreparedData` of NumPy arrays in ``name``'s shape
    (random points; the toys' own points from params.yaml)."""
    import torch

    from lrlab.core.prepared import PreparedData

    d, k, n, n_test, extra = shape_of(name)
    g = torch.Generator().manual_seed(seed)

    def split(m: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(m, d, generator=g)
        if k == 0:
            return x, (3.0 * x[:, 0] + 0.5 + 0.1 * torch.randn(m, generator=g)).float()
        y = torch.arange(m) % k  # every class present
        return x + y[:, None].float(), y

    x, y = split(n)
    if name in TOYS:  # the lessons' own points, listed in params.yaml
        x = torch.tensor(BASE_PARAMS["datasets"][name]["x"]).reshape(-1, 1)
        y = torch.tensor(BASE_PARAMS["datasets"][name]["y"])
        y = y.float() if k == 0 else y.long()
    x_test, y_test = split(n_test) if n_test else (None, None)
    task = "regression" if k == 0 else "classification"
    info = {"name": name, "task": task, "num_classes": k or None, **extra}
    return PreparedData(x, y, x_test, y_test, info).map(lambda t: t.numpy())


def model_file_parts(dataset: str, variant: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``inputs`` and ``about`` of a model file of ``variant`` trained on ``dataset``'s
    fixture data, for a test that writes one (:func:`lrlab.core.model_file.make_checkpoint`)."""
    from lrlab.core.inputs import input_recipe

    data = make_dataset(dataset)
    about = {"variant": variant, "lrlab_version": None, "git_commit": None}
    return input_recipe(data.info, data.x_train.shape[1]), about


def write_prepared(root: Path, *names: str) -> Path:
    """``root/data/prepared/<name>.npz`` for each dataset name; returns ``root``."""
    from lrlab.base import layout
    from lrlab.core.prepared import save_prepared

    for name in names:
        save_prepared(layout.prepared_file(root, name), make_dataset(name))
    return root


# --- which heavy modules a stage imports --------------------------------------------------

HEAVY = ("torch", "torchvision", "sklearn")


def imported_after(code: str, cwd: Path) -> list[str]:
    """Which of :data:`HEAVY` a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])  # a printed list of names
