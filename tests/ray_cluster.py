"""A real multi-node Ray cluster on this machine, every socket on 127.0.0.1, for the tests::

    with loopback_namespace(), ray_cluster(tmp_path / "ray", nodes=2) as cluster:
        ray.init(address=cluster.address, _node_ip_address="127.0.0.1")
        ...
        cluster.kill_node(1)  # the worker node dies, as if its machine lost power

:func:`loopback_namespace` moves the calling thread into a new network namespace that has
only ``lo``: whatever it starts (Ray nodes, SeaweedFS, ``lrlab sweep``, git, dvc) inherits
it, so nothing can listen on or reach anything but 127.0.0.1, and the thread's own sockets
(a Ray driver, boto3) are in it too. Each node is ``ray start --block`` as the first process
of a PID namespace of its own (``unshare --pid --fork --mount-proc``): killing that process
makes the kernel kill every process of the node, so ``ray stop`` (which kills every Ray
process it can see, other people's too) is never needed. Every Ray port with a fixed default
is a free port given explicitly, so two clusters cannot collide. Both namespaces need root.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from repo_kit import missing
from s3_server import _die_with_parent, free_ports

CLONE_NEWNET = 0x40000000
OBJECT_STORE_BYTES = 100 * 1024 * 1024  # Ray's default is 30 % of the memory
# each node's ports, as --NAME=PORT; the head's also HEAD_PORTS (in capitals: variables)
NODE_PORTS = (
    "node-manager-port",
    "object-manager-port",
    "dashboard-agent-listen-port",  # default 52365, even with --include-dashboard=false
    "dashboard-agent-grpc-port",
    "metrics-export-port",
    "runtime-env-agent-port",
)
HEAD_PORTS = ("port", "dashboard-port", "AUTOSCALER_METRIC_PORT", "DASHBOARD_METRIC_PORT")
CLIENT_PORT = "ray-client-server-port"  # default 10001: Ray Client, with ray[default] only
# for every Ray process, nodes and drivers: no usage report, no token authentication (with
# RAY_AUTH_MODE unset, Ray turns it on when the user's ~/.ray/auth_token exists)
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
# the GCS declares a node dead 1.5 s after it stops answering, instead of 30 s
FAST_FAILURE = {
    "RAY_health_check_initial_delay_ms": "0",
    "RAY_health_check_period_ms": "500",
    "RAY_health_check_timeout_ms": "500",
    "RAY_health_check_failure_threshold": "3",
}

# a driver that holds a node's CPUs (argv: address, node id, CPUs) until its stdin closes
HOLD = """
import sys, ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

class Holder:
    def ready(self):
        return True

ray.init(address=sys.argv[1], log_to_driver=False, include_dashboard=False)
pin = NodeAffinitySchedulingStrategy(sys.argv[2], soft=False)
holder = ray.remote(Holder).options(num_cpus=int(sys.argv[3]), scheduling_strategy=pin).remote()
ray.get(holder.ready.remote())
print("held", flush=True)
sys.stdin.read()
"""


@contextmanager
def loopback_namespace() -> Iterator[None]:
    """Run the block with the calling thread in a new network namespace with only ``lo``,
    up; then put the thread back in the namespace it was in."""
    libc = ctypes.CDLL(None, use_errno=True)
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if libc.unshare(CLONE_NEWNET) != 0:
            code = ctypes.get_errno()
            if code == errno.EPERM:
                missing("root: tests/ray_cluster.py runs Ray in network and PID namespaces")
            raise OSError(code, f"unshare(CLONE_NEWNET): {os.strerror(code)}")
        try:
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
            yield
        finally:
            if libc.setns(original, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns() back to the first namespace")
    finally:
        os.close(original)


def interfaces() -> list[str]:
    """The network interfaces the calling thread sees."""
    done = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    return [line.split(":")[1].strip().split("@")[0] for line in done.stdout.splitlines()]


def listening(pids: set[int] | None = None) -> list[str]:
    """The local address:port of every TCP socket listening in the calling thread's network
    namespace (``ss -ltnpH``), or only of those the processes ``pids`` hold."""
    done = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    if pids is not None:
        lines = [line for line in lines if any(f"pid={pid}," in line for pid in pids)]
    return [line.split()[3] for line in lines]


def pid_namespace(pid: int | str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:  # gone
        return None


@dataclass
class RayNode:
    """One ``ray start --block``, PID 1 of a PID namespace that ``unshare`` made for it."""

    index: int
    log: Path
    ports: dict[str, int]
    process: subprocess.Popen[bytes]  # unshare
    node_id: str = ""  # Ray's (hex), once the GCS holds the node alive
    namespace: str | None = None  # /proc/PID/ns/pid of its processes

    def first_pid(self) -> int | None:
        """The PID here of the node's PID 1 (unshare's child); None before or after it."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return int(children.read_text().split()[0])
        except (OSError, IndexError):
            return None

    def pids(self) -> set[int]:
        """The node's processes still there (zombies too)."""
        if self.namespace is None and (first := self.first_pid()):
            self.namespace = pid_namespace(first)
        if self.namespace is None:
            return set()
        names = (entry.name for entry in Path("/proc").iterdir() if entry.name.isdigit())
        return {int(name) for name in names if pid_namespace(name) == self.namespace}

    def kill(self, timeout: float = 30) -> None:
        """SIGKILL the node's PID 1, so that the kernel kills all its other processes; return
        once none is left."""
        self.pids()  # learn the namespace while its PID 1 lives
        if first := self.first_pid():
            os.kill(first, signal.SIGKILL)
        else:  # not forked yet: unshare --kill-child takes its child along
            self.process.kill()
        self.process.wait(timeout)  # unshare reaps PID 1 once its namespace is empty
        deadline = time.monotonic() + timeout
        while left := self.pids():
            assert time.monotonic() < deadline, f"Ray node {self.index} left {left}"
            time.sleep(0.05)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class RayCluster:
    """A head node (node 0) and worker nodes, ``num_cpus`` CPUs each, on 127.0.0.1. In
    ``root``: ``node<i>.log``, what each ``ray start`` says, and ``temp/``, Ray's temp dir
    (its sessions' logs), once the cluster stopped."""

    root: Path
    num_cpus: int = 1
    nodes: list[RayNode] = field(default_factory=list)
    # short while Ray runs: the paths of its Unix sockets in there must fit in 107 bytes
    temp_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ray-")))
    gcs_client: Any = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.nodes[0].ports['port']}"

    def env(self) -> dict[str, str]:
        """``os.environ`` for a driver in a subprocess (``lrlab sweep``): :data:`RAY_ENV` and
        ``RAY_ADDRESS``."""
        return {**os.environ, **RAY_ENV, "RAY_ADDRESS": self.address}

    def start_head(self, timeout: float = 120, wait: bool = True) -> RayNode:
        """Start the head; return once the GCS holds it alive (``wait``), or at once."""
        assert not self.nodes, "the head comes first, once"
        head = ["--head", f"--temp-dir={self.temp_dir}", "--include-dashboard=false"]
        return self._start(head, [*HEAD_PORTS, *NODE_PORTS], timeout, wait)

    def add_node(self, timeout: float = 120, wait: bool = True) -> RayNode:
        """Start a worker node as soon as the GCS answers; return once the GCS holds the new
        node alive (``wait``), or at once."""
        self._wait_for_gcs(timeout)  # without one `ray start --address` soon gives up
        return self._start([f"--address={self.address}"], list(NODE_PORTS), timeout, wait)

    def _start(self, args: list[str], names: list[str], timeout: float, wait: bool) -> RayNode:
        from ray._private.utils import get_ray_client_dependency_error

        if "--head" in args and get_ray_client_dependency_error() is None:
            names.append(CLIENT_PORT)  # ray[default] is installed
        ports = dict(zip(names, free_ports(len(names)), strict=True))
        env = {**os.environ, **RAY_ENV, **FAST_FAILURE}
        env.update({name: str(port) for name, port in ports.items() if name.isupper()})
        flags = [f"--{name}={port}" for name, port in ports.items() if not name.isupper()]
        command = [
            *("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "ray", "start"),
            *(*args, "--block", "--node-ip-address=127.0.0.1", f"--num-cpus={self.num_cpus}"),
            f"--object-store-memory={OBJECT_STORE_BYTES}",
            "--disable-usage-stats",
            *("--min-worker-port=0", "--max-worker-port=0"),  # a free port for each worker
            *flags,
        ]
        self.root.mkdir(parents=True, exist_ok=True)
        log = self.root / f"node{len(self.nodes)}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.nodes.append(RayNode(len(self.nodes), log, ports, process))
        if wait:
            self.wait_alive(self.nodes[-1], timeout)
        return self.nodes[-1]

    def alive(self, timeout: float = 10) -> dict[int, str]:
        """The node id of every node the GCS holds alive, by node-manager port."""
        from ray._raylet import GcsClient
        from ray.core.generated.gcs_pb2 import GcsNodeInfo

        if self.gcs_client is None:  # once: making one waits up to 30 s for the GCS
            self._wait_for_gcs(timeout=120)
            self.gcs_client = GcsClient(address=self.address)
        found = self.gcs_client.get_all_node_info(
            timeout=timeout, state_filter=GcsNodeInfo.GcsNodeState.ALIVE
        )
        return {info.node_manager_port: info.node_id.hex() for info in found.values()}

    def _wait_for_gcs(self, timeout: float) -> None:
        head, deadline = self.nodes[0], time.monotonic() + timeout
        while True:
            if head.process.poll() is not None:
                self._fail(head, f"exited ({head.process.returncode})")
            try:
                socket.create_connection(("127.0.0.1", head.ports["port"]), timeout=1).close()
                return
            except OSError as error:
                if time.monotonic() > deadline:
                    self._fail(head, f"has no GCS after {timeout} s ({error})")
                time.sleep(0.2)

    def wait_alive(self, node: RayNode, timeout: float = 120) -> None:
        """Until the GCS holds ``node`` alive; fail the test with the end of the node's log
        if it (or the head) exits, or ``timeout`` seconds pass, first."""
        deadline = time.monotonic() + timeout
        while True:
            if node.process.poll() is not None:
                self._fail(node, f"exited ({node.process.returncode})")
            self._wait_for_gcs(timeout)
            try:
                node.node_id = self.alive(timeout=2).get(node.ports["node-manager-port"], "")
                why = "the GCS does not hold it alive"
            except Exception as error:  # the GCS is not ready yet
                why = str(error)
            if node.node_id:
                return
            if time.monotonic() > deadline:
                self._fail(node, f"is not up after {timeout} s: {why}")
            time.sleep(0.5)

    def _fail(self, node: RayNode, why: str) -> None:
        pytest.fail(f"Ray node {node.index} {why}; the end of {node.log}:\n{node.log_tail()}")

    def kill_node(self, index: int) -> None:
        """Kill worker node ``index``, every process of it, as if its machine died."""
        assert index > 0, "the head goes with stop()"
        self.nodes[index].kill()

    @contextmanager
    def busy(self, index: int, timeout: float = 120) -> Iterator[None]:
        """Node ``index``'s CPUs held by an actor pinned to it, so that Ray places tasks on
        the other nodes; released on the way out (its driver, a subprocess, exits)."""
        node = self.nodes[index]
        command = [sys.executable, "-c", HOLD, self.address, node.node_id, str(self.num_cpus)]
        holder = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=self.env()
        )
        try:
            ready = holder.stdout.readline() if holder.stdout else ""
            assert ready == "held\n", f"node {index}'s CPUs not held ({holder.poll()})"
            yield
        finally:
            holder.communicate(timeout=timeout)  # stdin closed: the driver leaves

    def pids(self) -> set[int]:
        return set().union(*(node.pids() for node in self.nodes))

    def ports(self) -> set[int]:
        """The ports given to the nodes (the others are the kernel's choice of free ports)."""
        return {port for node in self.nodes for port in node.ports.values()}

    def listening(self) -> list[str]:
        """Every local address:port the cluster's processes listen on, as ``ss`` shows it."""
        return listening(self.pids())

    def stop(self) -> None:
        """Kill every node, worker nodes first; return once none of their processes is left.
        Ray's temp dir moves to ``root/temp``."""
        for node in reversed(self.nodes):
            node.kill()
        if self.temp_dir.exists() and self.root.is_dir():
            shutil.move(self.temp_dir, self.root / "temp")


@contextmanager
def ray_cluster(root: Path, nodes: int = 2, num_cpus: int = 1) -> Iterator[RayCluster]:
    """A started :class:`RayCluster` of ``nodes`` nodes, stopped on the way out whatever
    happens; the calling thread must be in a :func:`loopback_namespace`. Meanwhile this
    process has :data:`RAY_ENV` and ``RAY_ADDRESS`` set, so that a plain ``ray.init()``, here
    or in a subprocess (``lrlab sweep``), finds the cluster."""
    try:
        import ray  # noqa: F401
    except ImportError:
        missing("ray, pip install -c requirements.lock -e '.[cluster]'")
    assert interfaces() == ["lo"], "start a Ray cluster in a loopback_namespace() only"
    cluster = RayCluster(root, num_cpus)
    with pytest.MonkeyPatch.context() as env:
        for name, value in RAY_ENV.items():
            env.setenv(name, value)
        try:
            cluster.start_head(wait=False)
            env.setenv("RAY_ADDRESS", cluster.address)
            for _ in range(nodes - 1):  # side by side with the rest of the head's start
                cluster.add_node(wait=False)
            for node in cluster.nodes:
                cluster.wait_alive(node)
            yield cluster
        finally:
            cluster.stop()
