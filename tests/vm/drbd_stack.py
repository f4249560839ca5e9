"""The seed-000/003 storage stack under real Pacemaker in the VM pair, set up for a test: a
promotable pyha drbd clone that mounts its filesystem, and a floating IP on the Promoted node.

The configuration is written with pcs on the host (`pcs -f`, against the make-install'ed agents)
and loaded into the cluster with cibadmin: pcs costs ~15-20 s a call inside a TCG guest.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from tests.lab.offline_cib import OfflineCib
from tests.lab.vm import drbd
from tests.lab.vm.cluster import VmCluster
from tests.lab.vm.guest import Guest
from tests.lab.vm.pair import VmPair
from tests.vm.conftest import booted_pair

RESOURCE = "r0"
MOUNTPOINT = "/mnt/r0"
VIP = "192.168.77.100"
PCS = (
    ("resource", "create", "data", "ocf:pyha:drbd", f"drbd_resource={RESOURCE}",
     f"directory={MOUNTPOINT}", "fstype=ext4", "op", "monitor", "interval=10s", "role=Promoted",
     "op", "monitor", "interval=20s", "role=Unpromoted", "promotable", "notify=true"),
    ("resource", "create", "vip", "ocf:pyha:floating-ip", f"ip={VIP}", "cidr_netmask=24"),
    ("constraint", "colocation", "add", "vip", "with", "Promoted", "data-clone", "INFINITY"),
    ("constraint", "order", "promote", "data-clone", "then", "start", "vip"),
)


def configuration(installed: str, directory: str,
                  commands: Sequence[Sequence[str]]) -> dict[str, list[str]]:
    """What pcs writes for `commands`, as XML elements per CIB section, to add to a live CIB."""
    cib = OfflineCib(installed, f"{directory}/cib.xml")
    for args in commands:
        cib.pcs(*args)
    root = ET.fromstring(cib.text())
    return {scope: [ET.tostring(element, encoding="unicode")
                    for element in root.find(f"configuration/{scope}")]
            for scope in ("resources", "constraints")}


@contextmanager
def running_stack(installed: str, directory: str, *, crm_fencing: bool = False,
                  extra_pcs: Sequence[Sequence[str]] = (),
                  properties: Sequence[tuple[str, str]] = (),
                  base_pcs: Sequence[Sequence[str]] = PCS,
                  directories: Sequence[str] = (),
                  prepare: Callable[[Guest, str], None] | None = None,
                  files: Mapping[str, str] | None = None,
                  memory_mib: int = 512) -> Iterator[VmCluster]:
    """A booted pair (guests of `memory_mib`) with `RESOURCE` synced (with DRBD's
    crm-fence-peer handlers if asked), a cluster on it, cluster `properties` set and the stack
    loaded (`base_pcs`, then `extra_pcs`). Before the cluster starts: `directories` are made on
    the filesystem and `prepare(guest, mount point)` runs with it mounted
    (drbd.bring_up_synced), and `files` ({path: text}) are written on both guests, again
    after a reboot."""
    with booted_pair(32, cluster=True, memory_mib=memory_mib) as pair, \
            stack_on(pair, installed, directory, [*base_pcs, *extra_pcs],
                     crm_fencing=crm_fencing, properties=properties,
                     directories=directories, prepare=prepare, files=files) as cluster:
        yield cluster


@contextmanager
def stack_on(pair: VmPair, installed: str, directory: str, pcs: Sequence[Sequence[str]], *,
             crm_fencing: bool = False, properties: Sequence[tuple[str, str]] = (),
             directories: Sequence[str] = (), prepare: Callable[[Guest, str], None] | None = None,
             files: Mapping[str, str] | None = None) -> Iterator[VmCluster]:
    """running_stack on a pair booted by the caller (no pytest involved: `make demo` uses it)."""
    drbd.bring_up_synced(pair, RESOURCE, crm_fencing=crm_fencing, directories=directories,
                         prepare=prepare)
    for guest in pair.guests:
        for path, text in (files or {}).items():
            pair.keep_file(guest.name, path, text)
    with VmCluster(pair) as cluster:
        sections = configuration(installed, directory, pcs)
        node = cluster.any_node()
        for name, value in properties:
            cluster.run(node, ["crm_attribute", "--type", "crm_config", "--name", name,
                               "--update", value], check=True)
        for scope, elements in sections.items():
            for element in elements:
                cluster.run(node, ["cibadmin", "--create", "--scope", scope,
                                   "--xml-text", element], check=True)
        yield cluster


def primaries(cluster: VmCluster) -> list[str]:
    """Running nodes whose kernel says DRBD is Primary there."""
    found = []
    for name in cluster.names:
        guest = cluster.pair.guest(name)
        if guest.running:
            text = guest.run(["cat", "/proc/drbd"]).stdout
            if "ro:Primary" in text:
                found.append(name)
    return found


def promoted_with_vip(cluster: VmCluster) -> str | None:
    roles = cluster.resource_roles("data")
    promoted = [name for name, role in roles.items() if role == "Promoted"]
    if len(promoted) != 1 or cluster.resource_roles("vip") != {promoted[0]: "Started"}:
        return None
    return promoted[0]


def settled_promoted(cluster: VmCluster, timeout: float = 300) -> str:
    """The node the stack settles on: data Promoted there, the VIP with it."""
    seen: list[str] = []

    def settled() -> bool:
        seen[:] = [promoted_with_vip(cluster) or ""]
        return bool(seen[0])
    cluster.wait_for(settled, timeout, "data promoted, vip up")
    return seen[0]


def checksum(cluster: VmCluster, name: str, path: str) -> str:
    return cluster.run(name, ["sha256sum", path], check=True).stdout.split()[0]
