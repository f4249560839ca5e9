"""The lab proves itself: clusters form, a killed node's resource moves, a cut ends in one copy."""

from __future__ import annotations

import time

import pytest

from tests.conftest import report_figure
from tests.lab.cluster import Cluster

pytestmark = pytest.mark.cluster

VIP = "10.78.0.100"


def create_vip(cluster: Cluster) -> None:
    cluster.pcs("resource", "create", "vip", "ocf:pyha:floating-ip", f"ip={VIP}",
                "cidr_netmask=24", "op", "monitor", "interval=2s")


def wait_single_location(cluster: Cluster, resource: str, timeout: float = 60,
                         avoid: str | None = None) -> str:
    where: list[str] = []

    def placed() -> bool:
        roles = cluster.resource_roles(resource)
        where[:] = list(roles)
        return len(roles) == 1 and avoid not in roles
    cluster.wait_for(placed, timeout, f"{resource} running on one node")
    return where[0]


def holders(cluster: Cluster, address: str) -> list[str]:
    """Nodes whose eth0 carries the address, read from the kernel, not from Pacemaker."""
    found = []
    for name, node in cluster.nodes.items():
        if f" {address}/" in node.host.run(["ip", "-o", "addr", "show"], check=False).stdout:
            found.append(name)
    return found


def test_three_node_cluster_forms(three_nodes: Cluster) -> None:
    report_figure(f"lab: 3-node namespace cluster formed in {three_nodes.formation_seconds:.1f} s")
    assert three_nodes.online_nodes() == {"node1", "node2", "node3"}
    listed = three_nodes.run("node2", ["crm_resource", "--list-agents", "ocf:pyha"]).stdout
    assert "floating-ip" in listed.split()
    hostname = three_nodes.run("node3", ["hostname"]).stdout.strip()
    assert hostname == "node3"


def test_killing_the_node_running_a_resource_moves_it(three_nodes: Cluster) -> None:
    cluster = three_nodes
    create_vip(cluster)
    first = wait_single_location(cluster, "vip")
    cluster.wait_for(lambda: holders(cluster, VIP) == [first], 10, f"{VIP} on {first}")
    cluster.kill_node(first)
    survivor = next(name for name in cluster.names if name != first)
    moved = cluster.wait_for(lambda: len(cluster.resource_roles("vip", survivor)) == 1
                             and first not in cluster.resource_roles("vip", survivor), 60,
                             "vip moved")
    second = wait_single_location(cluster, "vip", avoid=first)
    report_figure(f"lab: node kill -> floating-ip started on another node in {moved:.1f} s "
                  f"(3 nodes, token 1000 ms, fencing on)")
    assert second != first
    assert any(event[2] == first for event in cluster.fence_events), "the dead node was fenced"
    assert holders(cluster, VIP) == [second]
    rejoined = cluster.wait_for(lambda: first in cluster.online_nodes(survivor), 90,
                                f"{first} rejoined after its fence reboot")
    report_figure(f"lab: fenced node back online {rejoined + moved:.1f} s after the kill")


def test_network_cut_with_fencing_ends_with_one_copy(three_nodes: Cluster) -> None:
    cluster = three_nodes
    create_vip(cluster)
    first = wait_single_location(cluster, "vip")
    cluster.cut(first)
    survivor = next(name for name in cluster.names if name != first)
    cluster.wait_for(lambda: any(event[2] == first for event in cluster.fence_events), 60,
                     f"{first} fenced")
    second = wait_single_location(cluster, "vip", avoid=first)
    assert second != first
    # The fenced node rebooted behind its cut cable: alone, without quorum, it runs nothing.
    time.sleep(5)
    assert holders(cluster, VIP) == [second]
    cluster.heal(first)
    cluster.wait_for(lambda: first in cluster.online_nodes(survivor), 90, f"{first} rejoined")
    assert holders(cluster, VIP) == [wait_single_location(cluster, "vip")]
