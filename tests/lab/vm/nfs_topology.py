"""The seed-000/003 topology live in the VM pair: NFS on DRBD behind a floating IP, as
doc/recipes/nfs-on-drbd.md builds it, and a power cut of the node serving it while a client
writes. Shared by tests/vm/test_nfs_topology.py (which asserts) and `make demo` (which tells).

The pcs commands are the recipe's own (its blocks that create pyha resources), with the lab's
values for the placeholders, so the page and the tests cannot drift; the recipe's fence devices
are the lab's `fence_lab` instead (VmCluster seeds it). On top, LAB_PCS shortens the NFSv4
grace and lease for a quick failover, and makes the export the NFSv4 root (fsid=0): the guests'
/ is a 9p overlay nfsd cannot build a pseudo-root from, so clients mount VIP:/. The client writes
as root, hence the seeds' no_root_squash.

The client must survive the power cut and the pair has only two guests: it is the Unpromoted
node, mounting the VIP (NFSv4.2, hard); after the failover it reaches the server, on itself,
through the same VIP.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.lab.recipes import RECIPES_DIR, load_recipe
from tests.lab.vm.cluster import ClusterError, VmCluster
from tests.lab.vm.pair import SUBNET
from tests.vm.drbd_stack import MOUNTPOINT, RESOURCE, VIP, primaries

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
# Fencing powers the killed node off rather than rebooting it: its rejoin is not what is shown,
# and under TCG its joining would hold up the transitions of the failover.
PROPERTIES = (("stonith-action", "off"),)
# What the filesystem holds before the cluster takes over (the recipe's `mkdir`).
DIRECTORIES = ("export", "nfsinfo")
DATA, SERVER, ADDRESS = "nfs-data", "nfs-server", "nfs-ip"

CLIENT_MOUNT = "/mnt/nfs"
MOUNT_OPTIONS = "vers=4.2,hard,timeo=10,retrans=2"
WRITER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nfs_writer.py")
WRITER_LOG = "/run/pyha-nfs-writer.log"    # the client's tmpfs, not NFS
WRITER_STOP = "/run/pyha-nfs-writer.stop"
WRITER_OUTPUT = "/run/pyha-nfs-writer.out"
WRITE_INTERVAL = 0.1    # between acknowledged writes: the outage's resolution


def pcs_commands() -> list[list[str]]:
    """The pcs commands (without `pcs`) that build the topology: the recipe's, then LAB_PCS."""
    recipe = load_recipe(RECIPE)
    values = {**recipe.placeholders, **LAB_VALUES}
    return [*(argv for block in recipe.blocks_of("main") if block.agents
              for argv in block.argvs(values)),
            *(list(argv) for argv in LAB_PCS)]


def active_roles(cluster: VmCluster, resource_id: str) -> dict[str, str]:
    """{node: role} of the active instances of a resource not in a transition. With its peer
    gone, as after a failover, the drbd monitor says 191 (promoted, degraded): crm_mon then
    shows the Promoted instance with pending="Monitoring" for good, which Cluster.resource_roles
    takes for a transition and leaves out."""
    status = cluster.status()
    if status is None:
        return {}
    return {node.get("name"): resource.get("role") for resource in status.iter("resource")
            if resource.get("id", "").split(":")[0] == resource_id
            and resource.get("active") == "true" and resource.get("failed") != "true"
            and resource.get("pending") in (None, "Monitoring")
            for node in resource.findall("node")}


def serving_node(cluster: VmCluster) -> str | None:
    """The node where data is Promoted and server and address run with it, if they all do."""
    promoted = [name for name, role in active_roles(cluster, DATA).items()
                if role == "Promoted"]
    if len(promoted) != 1:
        return None
    expected = {promoted[0]: "Started"}
    if active_roles(cluster, SERVER) != expected or active_roles(cluster, ADDRESS) != expected:
        return None
    return promoted[0]


def wait_serving(cluster: VmCluster, timeout: float, on: str | None = None) -> str:
    """The node the stack settles on (`on`, if given)."""
    seen: list[str] = []

    def settled() -> bool:
        seen[:] = [serving_node(cluster) or ""]
        return bool(seen[0]) and (on is None or seen[0] == on)
    try:
        cluster.wait_for(settled, timeout, f"NFS stack serving{f' on {on}' if on else ''}")
    except ClusterError as err:
        node = cluster.any_node()
        state = cluster.run(node, ["crm_mon", "-1", "--output-as=xml"], timeout=60).output
        raise ClusterError(f"{err}\n--- crm_mon on {node}:\n{state}") from None
    return seen[0]


class Client:
    """The writer on a node: mounts the VIP, writes numbered files, reads its own log."""

    def __init__(self, cluster: VmCluster, name: str) -> None:
        self.cluster = cluster
        self.name = name

    def mount(self) -> None:
        self.cluster.run(self.name, ["mkdir", "-p", CLIENT_MOUNT], check=True)
        self.cluster.run(self.name, ["mount", "-t", "nfs4", "-o", MOUNT_OPTIONS, f"{VIP}:/",
                                     CLIENT_MOUNT], check=True, timeout=120)

    def start(self) -> None:
        self.cluster.run(self.name, ["sh", "-c", 'exec setsid -f "$@" </dev/null '
                                     '>"$0" 2>&1', WRITER_OUTPUT, "/usr/bin/python3",
                                     "-I", WRITER, "write", CLIENT_MOUNT, WRITER_LOG,
                                     WRITER_STOP, str(WRITE_INTERVAL)], check=True)

    def acknowledged(self) -> list[tuple[int, float]]:
        """(file number, guest monotonic seconds) of every write acknowledged so far."""
        text = self.cluster.run(self.name, ["cat", WRITER_LOG]).stdout
        return [(int(words[0]), float(words[1])) for words in map(str.split, text.splitlines())
                if len(words) == 2]

    def wait_acknowledged(self, count: int, timeout: float) -> None:
        try:
            self.cluster.wait_for(lambda: len(self.acknowledged()) >= count, timeout,
                                  f"{count} writes acknowledged on {self.name}", interval=0.5)
        except ClusterError as err:
            output = self.cluster.run(self.name, ["cat", WRITER_OUTPUT]).output
            raise ClusterError(f"{err}\n--- the writer's output:\n{output}") from None

    def stop(self, timeout: float = 60) -> None:
        self.cluster.run(self.name, ["touch", WRITER_STOP], check=True)
        self.cluster.wait_for(lambda: self.cluster.run(
            self.name, ["pgrep", "-f", WRITER]).rc != 0, timeout, "writer stopped")

    def verify(self, directory: str) -> dict:
        """{"checked": n, "bad": [...]}: every acknowledged file in `directory`, read back."""
        done = self.cluster.run(self.name, ["/usr/bin/python3", "-I", WRITER, "verify",
                                            directory, WRITER_LOG], check=True, timeout=300)
        return json.loads(done.stdout)


def longest_gap(acknowledged: list[tuple[int, float]]) -> float:
    stamps = [stamp for _, stamp in acknowledged]
    return max((later - earlier for earlier, later in zip(stamps, stamps[1:])), default=0.0)


@dataclass
class Failover:
    """What a power cut of the serving node did, as the cluster and the client saw it."""

    killed: str = ""
    survivor: str = ""
    stack_seconds: float = 0.0      # power cut -> stack serving on the survivor
    outage_seconds: float = 0.0     # the client's longest gap between acknowledged writes
    acknowledged_before: int = 0    # writes acknowledged before the cut
    acknowledged: int = 0           # all of them
    fenced: list[str] = field(default_factory=list)     # nodes fenced after the cut
    primaries: list[str] = field(default_factory=list)  # DRBD Primaries at the end
    through_nfs: dict = field(default_factory=dict)     # Client.verify() through the mount
    on_disk: dict = field(default_factory=dict)         # Client.verify() on the DRBD fs


def power_cut_under_writes(cluster: VmCluster, say: Callable[[str], None] = lambda _: None,
                           timeout: float = 300) -> Failover:
    """Cut the serving node's power while the other node writes through the VIP; wait until
    the survivor serves and the client's writes resume; check every acknowledged file."""
    result = Failover()
    result.killed = wait_serving(cluster, timeout)
    result.survivor = next(name for name in cluster.names if name != result.killed)
    say(f"NFS served by {result.killed}; the client on {result.survivor} mounts "
        f"{VIP}:/ ({MOUNT_OPTIONS}) and writes numbered files, fsync'ing each")
    client = Client(cluster, result.survivor)
    client.mount()
    client.start()
    client.wait_acknowledged(10, 120)
    result.acknowledged_before = len(client.acknowledged())
    say(f"{result.acknowledged_before} writes acknowledged; power cut: killing {result.killed}")
    cut = time.monotonic()
    cluster.kill(result.killed)
    wait_serving(cluster, timeout, on=result.survivor)
    result.stack_seconds = time.monotonic() - cut
    say(f"{result.survivor} fenced {result.killed}, promoted DRBD, mounted {MOUNTPOINT}, "
        f"started NFS and took {VIP}: {result.stack_seconds:.1f} s after the cut")
    client.wait_acknowledged(len(client.acknowledged()) + 10, timeout)
    client.stop()
    acknowledged = client.acknowledged()
    result.acknowledged = len(acknowledged)
    result.outage_seconds = longest_gap(acknowledged)
    say(f"the client's writes resumed; {result.acknowledged} acknowledged in all, the longest "
        f"gap between two {result.outage_seconds:.1f} s")
    result.fenced = [node for at, _, node in cluster.fence_events if at >= cut]
    result.primaries = primaries(cluster)
    result.through_nfs = client.verify(CLIENT_MOUNT)
    result.on_disk = client.verify(EXPORT)
    say(f"every acknowledged file read back through NFS ({len(result.through_nfs['bad'])} bad) "
        f"and on {EXPORT} ({len(result.on_disk['bad'])} bad)")
    return result
