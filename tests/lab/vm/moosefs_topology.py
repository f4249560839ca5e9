"""The seed-004 topology live in the VM pair: a MooseFS master on DRBD behind a floating IP, as
doc/recipes/moosefs-master-on-drbd.md builds it, and a power cut of the master's node while a
client writes (tests/lab/vm/topology.py).

The node that does not serve runs a chunkserver and an mfsmount client, both with the VIP as
MASTER_HOST; they survive the cut, and after the failover reach the new master, on their own
node, through the same address. The client's files are checked through the mount: their data is
on that chunkserver, their existence and length only in the master's metadata on DRBD.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from tests.lab.moosefs import EMPTY_METADATA, MFS_USER, chunkservers_with_space, master_config
from tests.lab.recipes import RECIPES_DIR
from tests.lab.vm.cluster import VmCluster
from tests.lab.vm.guest import Guest
from tests.lab.vm.topology import Failover, Stack, Writer, power_cut_while_writing, recipe_pcs
from tests.vm.drbd_stack import MOUNTPOINT, RESOURCE, VIP

RECIPE = os.path.join(RECIPES_DIR, "moosefs-master-on-drbd.md")
CONFIG_DIR = "/etc/pyha-mfs"    # the guests' private overlay: the host's /etc is untouched
MASTER_CONFIG = f"{CONFIG_DIR}/mfsmaster.cfg"
EXPORTS = f"{CONFIG_DIR}/mfsexports.cfg"
# The recipe's placeholders, as the lab has them.
LAB_VALUES = {"drbd_resource": RESOURCE, "mount_point": MOUNTPOINT, "fstype": "ext4",
              "mfsmaster_cfg": MASTER_CONFIG, "vip": VIP, "cidr_netmask": "24"}
# The same files on both nodes, as the recipe asks; the master's DATA_PATH is the DRBD mount.
MASTER_FILES = {MASTER_CONFIG: master_config(MOUNTPOINT, EXPORTS),
                EXPORTS: "* / rw,alldirs,maproot=0\n", f"{EXPORTS}.topology": ""}
STACK = Stack("mfs-data", ("mfs-master", "mfs-ip"), "MooseFS")

CHUNKS = "/run/pyha-mfs-chunks"     # the client node's tmpfs
CHUNKSERVER_CONFIG = f"{CONFIG_DIR}/mfschunkserver.cfg"
CHUNKSERVER_FILES = {
    CHUNKSERVER_CONFIG: (f"DATA_PATH = {CHUNKS}\nHDD_CONF_FILENAME = {CONFIG_DIR}/mfshdd.cfg\n"
                         f"MASTER_HOST = {VIP}\nMASTER_RECONNECTION_DELAY = 1\n"
                         # the default keeps 256 MiB free: all a guest's tmpfs has
                         "HDD_LEAVE_SPACE_DEFAULT = 4MiB\n"),
    f"{CONFIG_DIR}/mfshdd.cfg": f"{CHUNKS}/hdd\n"}
CLIENT_MOUNT = "/mnt/mfs"
# Retries enough for an outage of minutes: I/O blocks through the failover instead of failing.
# The default write cache (256 MiB) would not fit beside the rest in a guest.
MOUNT_OPTIONS = "mfsioretries=120,mfswritecachesize=16"
# What MooseFS 3.0.117 holds resident, measured on an empty filesystem: mfsmaster ~470 MiB once
# a chunkserver has registered (~210 MiB before), mfschunkserver ~140 MiB, mfsmount ~30 MiB.
# The client's node runs all three after the failover, with Pacemaker and the tmpfs overlay:
# the OOM killer took mfsmaster there at 512 and at 1024 MiB.
GUEST_MEMORY_MIB = 1536


def pcs_commands() -> list[list[str]]:
    """The pcs commands (without `pcs`) of the recipe that build the topology."""
    return recipe_pcs(RECIPE, LAB_VALUES)


def initialise_filesystem(guest: Guest, top: str) -> None:
    """The recipe's one-time set-up on the DRBD filesystem mounted at `top`: the master's data
    directory, owned by its user, holding a new, empty filesystem's metadata."""
    guest.run(["chown", f"{MFS_USER}:{MFS_USER}", top], check=True)
    guest.run(["install", "-o", MFS_USER, "-g", MFS_USER, "-m", "0640", EMPTY_METADATA,
               f"{top}/metadata.mfs"], check=True)


def start_chunkserver_and_mount(cluster: VmCluster, node: str) -> Writer:
    """A chunkserver and an mfsmount client on `node`, both following the VIP; the chunkserver
    connected and reporting space before the client writes."""
    guest = cluster.pair.guest(node)
    for path, text in CHUNKSERVER_FILES.items():
        guest.write_file(path, text)
    guest.run(["install", "-d", "-o", MFS_USER, "-g", MFS_USER, CHUNKS, f"{CHUNKS}/hdd"],
              check=True)
    guest.run(["mfschunkserver", "-c", CHUNKSERVER_CONFIG, "start"], check=True, timeout=60)
    cluster.wait_for(lambda: chunkservers_with_space(guest.run(
        ["mfscli", "-H", VIP, "-SCS"], timeout=60).stdout) >= 1, 120,
        "the chunkserver registered with space")
    guest.run(["modprobe", "fuse"], check=True)
    guest.run(["mkdir", "-p", CLIENT_MOUNT], check=True)
    guest.run(["mfsmount", CLIENT_MOUNT, "-H", VIP, "-o", MOUNT_OPTIONS], check=True,
              timeout=120)
    return Writer(cluster, node, CLIENT_MOUNT, keep_going=True)


def power_cut_under_writes(cluster: VmCluster,
                           say: Callable[[str], None] = lambda _: None) -> Failover:
    """The client on the node that does not serve writes through mfsmount while the master's
    node loses power; every acknowledged file is read back through the mount."""
    def start_client(node: str) -> Writer:
        writer = start_chunkserver_and_mount(cluster, node)
        say(f"{node} runs a chunkserver and mounts MooseFS (mfsmount -H {VIP} "
            f"-o {MOUNT_OPTIONS}), both following the VIP")
        return writer
    return power_cut_while_writing(cluster, STACK, start_client, say=say)
