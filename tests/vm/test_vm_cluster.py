"""A real two-node Pacemaker + Corosync cluster in qemu guests: it forms, and a power cut of the
node carrying a pyha floating IP ends with that node fenced and the address on the survivor.

The base the drbd agent's Pacemaker tests build on. One cluster serves the whole module: under
TCG a boot costs ~10 s, forming ~15 s and every pcs call ~15-20 s (Python start-up over 9p), so
a cluster per test would double the module's time. The failover test creates its own resource
and needs nothing from the first test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.conftest import report_figure
from tests.lab.vm.cluster import VmCluster
from tests.vm.conftest import booted_pair

pytestmark = pytest.mark.vm

VIP = "192.168.77.100"
@pytest.fixture(scope="module")
def vm_cluster() -> Iterator[VmCluster]:
    with booted_pair(cluster=True) as pair, VmCluster(pair) as cluster:
        yield cluster


@pytest.fixture(autouse=True)
def _cluster_logs_on_failure(request, vm_cluster: VmCluster) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(vm_cluster.logs())


def vip_holders(cluster: VmCluster) -> list[str]:
    """Running nodes whose kernel carries the VIP: what clients see, not what Pacemaker says."""
    return [name for name in cluster.names
            if cluster.pair.guest(name).running and f" {VIP}/" in cluster.addresses(name)]


def wait_single_location(cluster: VmCluster, resource: str, timeout: float = 90) -> str:
    """The one node where Pacemaker reports the resource started (not still starting)."""
    where: list[str] = []

    def placed() -> bool:
        where[:] = list(cluster.resource_roles(resource))
        return len(where) == 1
    cluster.wait_for(placed, timeout, f"{resource} started on one node")
    return where[0]


def test_two_guests_form_a_fenced_cluster_that_sees_the_pyha_agents(
        vm_cluster: VmCluster) -> None:
    cluster, pair = vm_cluster, vm_cluster.pair
    report_figure(
        f"vm cluster: 2 guests booted in {pair.boot_seconds:.1f} s ({pair.accel}); stack set up "
        f"in {cluster.setup_seconds:.1f} s; both nodes online {cluster.formation_seconds:.1f} s "
        f"after the daemons started (token {cluster.token_ms} ms, dc-deadtime 2 s)")
    assert cluster.online_nodes() == {"alpha", "bravo"}
    status = cluster.status()
    assert status is not None
    options = status.find("summary/cluster_options")
    assert options is not None and options.get("stonith-enabled") == "true"
    wait_single_location(cluster, "fence-lab")
    agents = cluster.run("bravo", ["crm_resource", "--list-agents", "ocf:pyha"],
                         check=True).stdout.split()
    assert "floating-ip" in agents


def test_killing_the_vip_node_gets_it_fenced_and_the_survivor_carries_the_vip(
        vm_cluster: VmCluster) -> None:
    cluster = vm_cluster
    cluster.pcs("resource", "create", "vip", "ocf:pyha:floating-ip", f"ip={VIP}",
                "cidr_netmask=24", "op", "monitor", "interval=5s")
    first = wait_single_location(cluster, "vip")
    cluster.wait_for(lambda: vip_holders(cluster) == [first], 30, f"{VIP} on {first}")
    survivor = next(name for name in cluster.names if name != first)

    cut = time.monotonic()
    cluster.kill(first)
    moved = cluster.wait_for(lambda: vip_holders(cluster) == [survivor], 120,
                             f"{VIP} on {survivor}", interval=0.5)
    cluster.wait_for(lambda: cluster.resource_roles("vip", survivor) == {survivor: "Started"},
                     60, f"Pacemaker reports vip started on {survivor}")
    settled = time.monotonic() - cut
    fenced = [event for event in cluster.fence_events if event[2] == first]
    assert fenced, f"{first} was not fenced: {cluster.fence_events}"
    report_figure(f"vm cluster: power cut of the VIP node -> VIP up on the survivor in "
                  f"{moved:.1f} s, reported started {settled:.1f} s after the cut (fence "
                  f"{fenced[0][1]} {fenced[0][0] - cut:.1f} s after it; token "
                  f"{cluster.token_ms} ms, TCG)")

    # The fence was a reboot: the node boots again, rejoins, and the VIP stays in one place.
    cluster.wait_for(lambda: first in cluster.online_nodes(survivor), 180,
                     f"{first} rejoined after its fence reboot")
    report_figure(f"vm cluster: fenced node rebooted and back online {time.monotonic() - cut:.1f} "
                  "s after the cut")
    assert not cluster.background_errors
    where = wait_single_location(cluster, "vip")
    cluster.wait_for(lambda: vip_holders(cluster) == [where], 30, f"{VIP} only on {where}")
