"""moosefs-master as a promotable clone under real Pacemaker (three namespace nodes, fencing on),
with a floating IP the metaloggers, a chunkserver and an mfsmount client follow: a power cut of
the master's node promotes a metalogger, and every file the client fsync'd before the cut is
there, with its content, once the new master serves it."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator

import pytest

from ocf_lib.pacemaker import parse_attrd_values
from tests.cluster.conftest import cluster_fixture
from tests.conftest import report_figure
from tests.lab.cluster import Cluster
from tests.lab.moosefs import (
    Cell,
    master_config,
    read_when_served,
    write,
    write_exports,
    write_synced,
)

pytestmark = pytest.mark.cluster

VIP = "10.78.0.100"
DATA_PATH = "/run/pyha-mfs"   # each node's own tmpfs /run: nothing shared between nodes
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

three_nodes = cluster_fixture(("node1", "node2", "node3"))


@pytest.fixture
def configs() -> Iterator[dict[str, str]]:
    directory = tempfile.mkdtemp(prefix="pyha-mfs-cluster-")
    os.chmod(directory, 0o755)
    try:
        exports = write_exports(os.path.join(directory, "mfsexports.cfg"))
        yield {"config": write(os.path.join(directory, "mfsmaster.cfg"),
                               master_config(DATA_PATH, exports)),
               "metalogger_config": write(os.path.join(directory, "mfsmetalogger.cfg"),
                                          "MASTER_RECONNECTION_DELAY = 1\n")}
    finally:
        shutil.rmtree(directory)


def initialise_metadata(cluster: Cluster, node: str, config: str) -> None:
    """A new filesystem on one node only: the others have no metadata, so it must be promoted."""
    for argv in (["install", "-d", "-o", "mfs", "-g", "mfs", DATA_PATH],
                 ["install", "-o", "mfs", "-g", "mfs", "/var/lib/mfs/metadata.mfs.empty",
                  f"{DATA_PATH}/metadata.mfs"],
                 ["mfsmaster", "-c", config, "start"], ["mfsmaster", "-c", config, "stop"]):
        cluster.run(node, argv, check=True)


def metadata_version(cluster: Cluster, node: str) -> int:
    done = cluster.run(node, ["env", f"PYTHONPATH={ROOT}", "python3", "-c",
                              "from ocf_lib.moosefs.metadata import local_metadata\n"
                              f"print(local_metadata({DATA_PATH!r}).version or -1)"])
    return int(done.stdout.strip() or -1)


def score(cluster: Cluster, node: str) -> str:
    return cluster.run(node, ["crm_attribute", "--node", node, "--name", "master-mfs",
                              "--lifetime", "reboot", "--query", "--quiet"]).stdout.strip()


def promoted(cluster: Cluster, avoid: str | None = None) -> str | None:
    nodes = [node for node, role in cluster.resource_roles("mfs").items()
             if role == "Promoted" and node != avoid]
    return nodes[0] if len(nodes) == 1 else None


def test_power_cut_of_the_master_promotes_a_metalogger_without_losing_files(
        three_nodes: Cluster, configs: dict[str, str]) -> None:
    cluster = three_nodes
    initialise_metadata(cluster, "node1", configs["config"])
    cluster.pcs("resource", "create", "mfs", "ocf:pyha:moosefs-master",
                f"config={configs['config']}", f"metalogger_config={configs['metalogger_config']}",
                f"master_host={VIP}", "promotable", "notify=true")
    cluster.pcs("resource", "create", "vip", "ocf:pyha:floating-ip", f"ip={VIP}",
                "cidr_netmask=24")
    cluster.pcs("constraint", "colocation", "add", "vip", "with", "Promoted", "mfs-clone",
                "INFINITY")
    cluster.pcs("constraint", "order", "promote", "mfs-clone", "then", "start", "vip")
    cluster.wait_for(lambda: promoted(cluster) == "node1" and len(cluster.resource_roles("mfs"))
                     == 3 and cluster.resource_roles("vip"), 90, "node1 promoted, vip up")

    with Cell(cluster.client.address, netns=cluster.client.netns) as client:
        client.start_chunkserver(master=VIP)
        client.wait_for_chunkservers(master=VIP)
        mount = client.mount(master=VIP)
        files = {f"file{n}": os.urandom(4096 * (n + 1)) for n in range(10)}
        for name, data in files.items():
            write_synced(os.path.join(mount, name), data)
        written = metadata_version(cluster, "node1")
        cluster.wait_for(lambda: all(metadata_version(cluster, node) >= written
                                     for node in ("node2", "node3")), 30,
                         "both metaloggers hold every change")
        # The steady state: the metaloggers' monitors have published their scores.
        cluster.wait_for(lambda: all(score(cluster, node) == "1000" for node in
                                     ("node2", "node3")), 30, "metaloggers' promotion scores")
        # What the agents compare, as attrd_updater prints it: the metaloggers' versions only.
        published = parse_attrd_values(cluster.run("node1", [
            "attrd_updater", "--query", "--all", "--name", "pyha-moosefs-mfs-version"]).stdout)
        assert sorted(published) == ["node2", "node3"], published
        assert all(value.isdigit() for value in published.values())

        cut = time.monotonic()
        cluster.kill_node("node1")
        takeover: list[str] = []
        cluster.wait_for(lambda: takeover.append(promoted(cluster, avoid="node1"))
                         or takeover[-1] is not None, 90, "a metalogger promoted")
        promoted_after = time.monotonic() - cut
        client.wait_for_chunkservers(master=VIP, timeout=60)
        chunkserver_after = time.monotonic() - cut
        first = read_when_served(os.path.join(mount, "file0"), timeout=120)
        served_after = time.monotonic() - cut
        assert first == files["file0"]
        for name, data in files.items():
            assert read_when_served(os.path.join(mount, name)) == data, name
        report_figure(f"moosefs-master: power cut of the master -> {takeover[-1]} promoted from "
                      f"its metalogger in {promoted_after:.1f} s, chunkserver back at "
                      f"{chunkserver_after:.1f} s, client reads again after {served_after:.1f} s "
                      f"(3 nodes, fencing, token 1000 ms)")
        assert any(event[2] == "node1" for event in cluster.fence_events)
