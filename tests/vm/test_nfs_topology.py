"""The seed-000/003 topology under real Pacemaker in the VM pair: NFS on DRBD behind a floating
IP, built by the pcs commands of doc/recipes/nfs-on-drbd.md (tests/lab/vm/nfs_topology.py), with
DRBD's fencing handlers as the recipe has them. A client writes through the VIP while the
serving node's power is cut: the survivor is promoted and serves, the client's writes resume,
and not one acknowledged write is lost. (The fenced node's rejoin is test_vm_cluster's.)
"""

from __future__ import annotations

import pytest

from tests.conftest import report_figure
from tests.lab.vm.nfs_topology import (
    CLIENT_MOUNT,
    DIRECTORIES,
    EXPORT,
    pcs_commands,
    power_cut_under_writes,
)
from tests.lab.vm.topology import PROPERTIES
from tests.vm.drbd_stack import running_stack

pytestmark = pytest.mark.vm


def test_power_cut_of_the_nfs_server_loses_no_acknowledged_write(installed: str,
                                                                  tmp_path) -> None:
    with running_stack(installed, str(tmp_path), crm_fencing=True, base_pcs=pcs_commands(),
                       properties=PROPERTIES, directories=DIRECTORIES) as cluster:
        result = power_cut_under_writes(cluster)
        report_figure(f"vm nfs topology: power cut of the NFS server -> survivor serving in "
                      f"{result.stack_seconds:.1f} s, client writes (hard NFSv4.2 mount of the "
                      f"VIP) blocked at most {result.outage_seconds:.1f} s, "
                      f"{result.lost()} of {result.acknowledged} acknowledged writes lost or "
                      f"damaged (TCG, token {cluster.token_ms} ms, grace 10 s)")
    result.assert_survived([CLIENT_MOUNT, EXPORT])
