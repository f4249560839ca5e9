"""The seed-004 topology under real Pacemaker in the VM pair: a MooseFS master on DRBD behind a
floating IP, built by the pcs commands of doc/recipes/moosefs-master-on-drbd.md
(tests/lab/vm/moosefs_topology.py), with DRBD's fencing handlers as the recipe has them. A
client on the other node (with the chunkserver) writes through mfsmount while the master's node
loses power: the survivor is promoted, recovers the master from DRBD, and not one file the
client fsync'd is lost.
"""

from __future__ import annotations

import pytest

from tests.conftest import report_figure
from tests.lab.vm.moosefs_topology import (
    CLIENT_MOUNT,
    GUEST_MEMORY_MIB,
    MASTER_FILES,
    initialise_filesystem,
    pcs_commands,
    power_cut_under_writes,
)
from tests.lab.vm.topology import PROPERTIES
from tests.vm.drbd_stack import running_stack

pytestmark = pytest.mark.vm


def test_power_cut_of_the_mfsmaster_node_loses_no_fsynced_file(installed: str,
                                                               tmp_path) -> None:
    with running_stack(installed, str(tmp_path), crm_fencing=True, base_pcs=pcs_commands(),
                       properties=PROPERTIES, prepare=initialise_filesystem,
                       files=MASTER_FILES, memory_mib=GUEST_MEMORY_MIB) as cluster:
        result = power_cut_under_writes(cluster)
        report_figure(f"vm moosefs topology (seed 004): power cut of the mfsmaster node -> "
                      f"master serving on the survivor in {result.stack_seconds:.1f} s, client "
                      f"writes (mfsmount of the VIP) stalled at most "
                      f"{result.outage_seconds:.1f} s, {len(result.not_written)} failed and "
                      f"retried ({'; '.join(result.not_written[:2]) or 'none'}), "
                      f"{result.lost()} of {result.acknowledged} fsync'd files lost or damaged "
                      f"(TCG, token {cluster.token_ms} ms)")
    result.assert_survived([CLIENT_MOUNT])
