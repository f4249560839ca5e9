"""The seed-000/003 storage stack under real Pacemaker in the VM pair (tests/vm/drbd_stack.py),
set up as it should be in production: DRBD's own fencing (`fencing resource-and-stonith` + the
crm-fence-peer handlers) and `priority-fencing-delay`, so the node holding the Promoted role wins
a fencing race.

A network cut: every packet dropped both ways on both nodes while the links stay up, so both
lose Corosync and DRBD at once and both want to fence. At no sampled moment are there two
Primaries; the Unpromoted node is fenced, not the Promoted one; the Promoted node's handler
places its constraint and I/O resumes there; once the network is healed the fenced node rejoins,
resyncs, and the constraint is lifted again.

A power cut of the Promoted node under the same stack is tests/vm/test_nfs_topology.py: with
NFS on top and a client writing through the VIP, so one boot proves both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.conftest import report_figure
from tests.lab.vm.cluster import ClusterError, VmCluster
from tests.lab.vm.guest import GuestError
from tests.vm.drbd_stack import (
    MOUNTPOINT,
    RESOURCE,
    checksum,
    primaries,
    promoted_with_vip,
    running_stack,
    settled_promoted,
)

pytestmark = pytest.mark.vm

FENCE_CONSTRAINT = f"drbd-fence-by-handler-{RESOURCE}-data-clone"


@pytest.fixture(scope="module")
def stack(installed: str, tmp_path_factory) -> Iterator[VmCluster]:
    with running_stack(installed, str(tmp_path_factory.mktemp("cib")), crm_fencing=True,
                       extra_pcs=[("resource", "meta", "data-clone", "priority=10")],
                       properties=[("priority-fencing-delay", "10s")]) as cluster:
        yield cluster


class PrimarySampler(threading.Thread):
    """Samples which nodes' kernels are DRBD Primary, about once a second, until stopped."""

    def __init__(self, cluster: VmCluster) -> None:
        super().__init__(daemon=True)
        self.cluster = cluster
        self.samples: list[list[str]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(1.0):
            try:
                self.samples.append(primaries(self.cluster))
            except (GuestError, ClusterError, OSError):
                pass   # a node powered off between the check and the read

    def stop(self) -> list[list[str]]:
        self.halt.set()
        self.join(30)
        return self.samples


def constraints(cluster: VmCluster, name: str) -> str:
    return cluster.run(name, ["cibadmin", "--query", "--scope", "constraints"],
                       check=True).stdout


def test_network_cut_fences_the_unpromoted_node_and_keeps_one_primary(stack) -> None:
    cluster = stack
    promoted = settled_promoted(cluster)
    peer = next(name for name in cluster.names if name != promoted)
    before = f"{MOUNTPOINT}/before-cut.txt"
    cluster.pair.guest(promoted).write_file(before, "acknowledged before the cut\n")
    cluster.run(promoted, ["sync"], check=True)
    digest = checksum(cluster, promoted, before)

    sampler = PrimarySampler(cluster)
    sampler.start()
    try:
        cut = time.monotonic()
        for name in cluster.names:
            cluster.pair.cut_link(name)
        cluster.wait_for(lambda: any(node == peer for _, _, node in cluster.fence_events),
                         180, f"{peer} fenced", interval=0.5)
        fenced_after = time.monotonic() - cut
        # I/O on the Promoted node was frozen by the fencing policy until its handler
        # answered; a write that completes proves it resumed.
        cluster.run(promoted, ["sh", "-c", f"echo after > {MOUNTPOINT}/after-cut.txt && sync"],
                    check=True, timeout=120)
        resumed_after = time.monotonic() - cut
        assert FENCE_CONSTRAINT in constraints(cluster, promoted)
        assert promoted_with_vip(cluster) == promoted

        cluster.pair.heal_link(promoted)
        cluster.wait_for(lambda: FENCE_CONSTRAINT not in constraints(cluster, promoted)
                         and cluster.resource_roles("data").get(peer) == "Unpromoted",
                         420, f"{peer} rejoined, resynced and unfenced", interval=3.0)
        rejoined_after = time.monotonic() - cut
    finally:
        samples = sampler.stop()

    report_figure(f"vm drbd network cut: Unpromoted peer fenced after {fenced_after:.1f} s, "
                  f"I/O on the Promoted node resumed after {resumed_after:.1f} s, peer back "
                  f"and unfenced after {rejoined_after:.1f} s (TCG, priority-fencing-delay 10 s)")
    assert [node for _, _, node in cluster.fence_events] and promoted not in {
        node for _, _, node in cluster.fence_events}
    assert samples and max(len(sample) for sample in samples) == 1, samples
    assert primaries(cluster) == [promoted]
    assert checksum(cluster, promoted, before) == digest

