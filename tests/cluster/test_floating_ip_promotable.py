"""floating-ip as a promotable clone under real Pacemaker: every node's Unpromoted instance sets
its promotion score, exactly one node carries the address, and a power cut re-promotes."""

from __future__ import annotations

import pytest

from tests.cluster.test_lab import VIP, holders
from tests.lab.cluster import Cluster

pytestmark = pytest.mark.cluster


def wait_promoted(cluster: Cluster, instances: int, avoid: str | None = None) -> str:
    """The one Promoted node, once at least `instances` instances run and it is not `avoid`."""
    seen: list[str] = []

    def settled() -> bool:
        roles = cluster.resource_roles("vip")
        seen[:] = [node for node, role in roles.items() if role == "Promoted"]
        return len(roles) >= instances and len(seen) == 1 and seen[0] != avoid
    cluster.wait_for(settled, 60, f"{instances} instances, one promoted")
    return seen[0]


def score(cluster: Cluster, node: str) -> str:
    return cluster.run(node, ["crm_attribute", "--node", node, "--name", "master-vip",
                              "--lifetime", "reboot", "--query", "--quiet"]).stdout.strip()


def test_scores_are_set_and_one_node_carries_the_address(three_nodes: Cluster) -> None:
    cluster = three_nodes
    cluster.pcs("resource", "create", "vip", "ocf:pyha:floating-ip", f"ip={VIP}",
                "cidr_netmask=24", "promotable", "notify=true")
    first = wait_promoted(cluster, 3)
    assert [score(cluster, node) for node in cluster.names] == ["100", "100", "100"]
    cluster.wait_for(lambda: holders(cluster, VIP) == [first], 10, f"{VIP} on {first}")

    cluster.kill_node(first)
    second = wait_promoted(cluster, 2, avoid=first)
    cluster.wait_for(lambda: holders(cluster, VIP) == [second], 10, f"{VIP} on {second}")
