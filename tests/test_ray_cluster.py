"""tests/ray_cluster.py for real: two Ray nodes and a SeaweedFS server in one loopback network
namespace, a task on each node, every socket on 127.0.0.1, a worker node killed mid-task, and
nothing left once the cluster stops. One cluster for the whole file, in file order."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from ray_cluster import interfaces, listening, loopback_namespace, ray_cluster
from s3_server import seaweed_s3

pytestmark = pytest.mark.end_to_end

LOOPBACK = ("127.0.0.1:", "[::ffff:127.0.0.1]:")
# Ray's fixed default ports: GCS, dashboard, Ray Client, dashboard agent, two metrics servers
DEFAULT_PORTS = {6379, 8265, 10001, 52365, 44217, 44227}


def host_addresses() -> list[str]:
    """The IPv4 addresses of this machine's other interfaces (the calling thread's view), and
    192.0.2.1 (TEST-NET-1) for an address elsewhere."""
    done = subprocess.run(
        ["ip", "-o", "-4", "addr", "show", "scope", "global"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split()[3].split("/")[0] for line in done.stdout.splitlines()] + ["192.0.2.1"]


def this_threads_namespace() -> str:
    return os.readlink("/proc/thread-self/ns/net")


def test_the_thread_has_only_lo_in_the_namespace_then_its_own_again():
    before = this_threads_namespace(), interfaces()
    with loopback_namespace():
        assert this_threads_namespace() != before[0]
        assert interfaces() == ["lo"]
        with socket.create_server(("127.0.0.1", 0)) as server:  # lo is up
            socket.create_connection(server.getsockname(), timeout=5).close()
    assert (this_threads_namespace(), interfaces()) == before


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A listener on the host's 127.0.0.1, then, inside one loopback namespace: SeaweedFS, a
    two-node Ray cluster and this process as its driver."""
    root = tmp_path_factory.mktemp("ray-cluster")
    outside = socket.create_server(("127.0.0.1", 0))  # before the namespace: on the host
    addresses = host_addresses()
    with outside, loopback_namespace():
        with seaweed_s3(root / "s3") as s3, ray_cluster(root / "ray", nodes=2) as cluster:
            import ray

            ray.init(address=cluster.address, _node_ip_address="127.0.0.1")
            try:
                yield SimpleNamespace(
                    ray=ray, cluster=cluster, s3=s3, root=root, outside=outside, hosts=addresses
                )
            finally:
                ray.shutdown()


def test_two_raylets_on_127_0_0_1_run_a_task_each(world):
    ray, cluster = world.ray, world.cluster
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    alive = [node for node in ray.nodes() if node["Alive"]]
    assert len(alive) == 2
    assert {node["NodeManagerAddress"] for node in alive} == {"127.0.0.1"}
    ids = [node.node_id for node in cluster.nodes]
    assert {node["NodeID"] for node in alive} == set(ids)

    @ray.remote(num_cpus=1)
    def where() -> str:
        return ray.get_runtime_context().get_node_id()

    pinned = [
        where.options(scheduling_strategy=NodeAffinitySchedulingStrategy(i, soft=False)).remote()
        for i in ids
    ]
    assert ray.get(pinned, timeout=60) == ids


def test_a_driver_in_a_subprocess_finds_the_cluster_through_its_environment(world):
    """As ``lrlab sweep`` will: a plain ``ray.init()`` in a child process, RAY_ADDRESS set."""
    script = (
        "import ray; ray.init(); "
        "print(sorted(n['NodeID'] for n in ray.nodes() if n['Alive'])); ray.shutdown()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=world.cluster.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    expected = sorted(node.node_id for node in world.cluster.nodes)
    assert done.stdout.splitlines()[-1] == str(expected)


def test_every_socket_listens_on_127_0_0_1_and_the_host_is_out_of_reach(world):
    cluster, s3 = world.cluster, world.s3
    assert interfaces() == ["lo"]
    addresses = listening()  # everything in the namespace: Ray, SeaweedFS, this driver
    assert addresses and all(address.startswith(LOOPBACK) for address in addresses), addresses
    assert not {int(address.rsplit(":", 1)[1]) for address in addresses} & DEFAULT_PORTS
    ours = cluster.listening()
    assert set(ours) | set(s3.listening()) <= set(addresses)
    ports = {int(address.rsplit(":", 1)[1]) for address in ours}
    assert {node.ports["node-manager-port"] for node in cluster.nodes} <= ports
    assert int(cluster.address.rsplit(":", 1)[1]) in ports  # the GCS
    assert s3.keys() == set()  # boto3, in this thread, reaches the S3 gateway

    port = world.outside.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):  # the host's 127.0.0.1 is not this one
        socket.create_connection(("127.0.0.1", port), timeout=5)
    for address in world.hosts:  # no route to anywhere else
        with pytest.raises(OSError) as unreachable:
            socket.create_connection((address, port), timeout=5)
        assert unreachable.value.errno == errno.ENETUNREACH, address


def test_a_task_on_a_killed_node_is_retried_on_the_head(world, tmp_path):
    ray, cluster = world.ray, world.cluster
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    head, worker = (node.node_id for node in cluster.nodes)

    @ray.remote(num_cpus=1, max_retries=1)
    def sleep_on_the_worker(marks: str) -> str:
        node = ray.get_runtime_context().get_node_id()
        (Path(marks) / node).touch()
        if node == worker:
            time.sleep(300)
        return node

    prefer_worker = NodeAffinitySchedulingStrategy(worker, soft=True)  # then any node
    result = sleep_on_the_worker.options(scheduling_strategy=prefer_worker).remote(str(tmp_path))
    deadline = time.monotonic() + 60
    while not (tmp_path / worker).exists():
        assert time.monotonic() < deadline, "the task did not start on the worker node"
        time.sleep(0.1)
    assert len(cluster.nodes[1].pids()) >= 3  # ray start, raylet, agents, the task's worker

    cluster.kill_node(1)
    assert not cluster.nodes[1].pids()
    assert ray.get(result, timeout=120) == head  # the retry
    assert (tmp_path / head).exists()
    deadline = time.monotonic() + 30
    while {node["NodeID"] for node in ray.nodes() if node["Alive"]} != {head}:
        assert time.monotonic() < deadline, "the GCS still holds the killed node alive"
        time.sleep(0.2)


def test_stop_leaves_no_process_and_no_listener(world):
    cluster = world.cluster
    world.ray.shutdown()  # the driver first, as a test that ends does
    ports = cluster.ports()
    assert cluster.pids() and cluster.listening()
    cluster.stop()
    assert not cluster.pids()
    assert not {int(address.rsplit(":", 1)[1]) for address in listening()} & ports
    assert list((cluster.root / "temp").glob("session_*/logs/raylet.out"))  # kept for a look
