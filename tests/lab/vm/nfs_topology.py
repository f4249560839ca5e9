"""The seed-000/003 topology live in the VM pair: NFS on DRBD behind a floating IP, as
doc/recipes/nfs-on-drbd.md builds it, and a power cut of the node serving it while a client
writes (tests/lab/vm/topology.py). Shared by tests/vm/test_nfs_topology.py (which asserts) and
`make demo` (which tells).

On top of the recipe, LAB_PCS shortens the NFSv4 grace and lease for a quick failover, and makes
the export the NFSv4 root (fsid=0): the guests' / is a 9p overlay nfsd cannot build a pseudo-root
from, so clients mount VIP:/. The client writes as root, hence the seeds' no_root_squash.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from tests.lab.recipes import RECIPES_DIR
from tests.lab.vm.cluster import VmCluster
from tests.lab.vm.pair import SUBNET
from tests.lab.vm.topology import Failover, Stack, Writer, power_cut_while_writing, recipe_pcs
from tests.vm.drbd_stack import MOUNTPOINT, RESOURCE, VIP

RECIPE = os.path.join(RECIPES_DIR, "nfs-on-drbd.md")
# The recipe's placeholders, as the lab has them.
LAB_VALUES = {"drbd_resource": RESOURCE, "mount_point": MOUNTPOINT, "fstype": "ext4",
              "clients": f"{SUBNET}.0/24", "vip": VIP, "cidr_netmask": "24"}
EXPORT = f"{MOUNTPOINT}/export"
INFODIR = f"{MOUNTPOINT}/nfsinfo"
GRACE_SECONDS = 10
LAB_PCS = (
    ("resource", "update", "nfs-server",
     f"exports={EXPORT} {LAB_VALUES['clients']}(rw,sync,no_root_squash,no_subtree_check,"
     "fsid=0)",
     f"grace_time={GRACE_SECONDS}", f"lease_time={GRACE_SECONDS}", "threads=4"),
)
# What the filesystem holds before the cluster takes over (the recipe's `mkdir`).
DIRECTORIES = ("export", "nfsinfo")
STACK = Stack("nfs-data", ("nfs-server", "nfs-ip"), "NFS")

CLIENT_MOUNT = "/mnt/nfs"
MOUNT_OPTIONS = "vers=4.2,hard,timeo=10,retrans=2"


def pcs_commands() -> list[list[str]]:
    """The pcs commands (without `pcs`) that build the topology: the recipe's, then LAB_PCS."""
    return recipe_pcs(RECIPE, LAB_VALUES, LAB_PCS)


def wait_serving(cluster: VmCluster, timeout: float, on: str | None = None) -> str:
    return STACK.wait_serving(cluster, timeout, on)


def power_cut_under_writes(cluster: VmCluster,
                           say: Callable[[str], None] = lambda _: None) -> Failover:
    """The client mounts VIP:/ (NFSv4.2, hard) on the node that does not serve; every
    acknowledged file is read back through NFS and on the DRBD filesystem itself."""
    def start_client(node: str) -> Writer:
        cluster.run(node, ["mkdir", "-p", CLIENT_MOUNT], check=True)
        cluster.run(node, ["mount", "-t", "nfs4", "-o", MOUNT_OPTIONS, f"{VIP}:/",
                           CLIENT_MOUNT], check=True, timeout=120)
        say(f"the client on {node} mounts {VIP}:/ ({MOUNT_OPTIONS})")
        return Writer(cluster, node, CLIENT_MOUNT)
    return power_cut_while_writing(cluster, STACK, start_client,
                                   lambda writer: [CLIENT_MOUNT, EXPORT], say)
