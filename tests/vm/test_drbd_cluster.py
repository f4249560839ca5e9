"""The seed-000/003 storage stack under real Pacemaker in the VM pair: a promotable pyha drbd
clone that mounts its filesystem, and a floating IP on the Promoted node. A power cut of the
Promoted node: it is fenced, the survivor is promoted with the data intact, and it is the only
Primary. (The fenced node's rejoin is proven by test_vm_cluster; under TCG on a loaded machine
its second boot can take minutes, too long to wait for here.)

The configuration is written with pcs on the host (`pcs -f`, against the make-install'ed agents)
and loaded into the cluster with cibadmin: pcs costs ~15-20 s a call inside a TCG guest.
"""

from __future__ import annotations

import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from tests.conftest import report_figure
from tests.lab.install import run_installed
from tests.lab.vm import drbd
from tests.lab.vm.cluster import VmCluster
from tests.vm.conftest import booted_pair

pytestmark = pytest.mark.vm

RESOURCE = "r0"
MOUNTPOINT = "/mnt/r0"
VIP = "192.168.77.100"
PCS = [
    ["resource", "create", "data", "ocf:pyha:drbd", f"drbd_resource={RESOURCE}",
     f"directory={MOUNTPOINT}", "fstype=ext4", "op", "monitor", "interval=10s", "role=Promoted",
     "op", "monitor", "interval=20s", "role=Unpromoted", "promotable", "notify=true"],
    ["resource", "create", "vip", "ocf:pyha:floating-ip", f"ip={VIP}", "cidr_netmask=24"],
    ["constraint", "colocation", "add", "vip", "with", "Promoted", "data-clone", "INFINITY"],
    ["constraint", "order", "promote", "data-clone", "then", "start", "vip"],
]


def configuration(installed: str, tmp_path) -> tuple[list[str], list[str]]:
    """The resources and constraints pcs writes, as XML elements to add to a live CIB."""
    cib = str(tmp_path / "cib.xml")
    with open(cib, "w") as empty:
        subprocess.run(["cibadmin", "--empty"], stdout=empty, check=True)
    for args in PCS:
        done = run_installed(installed, ["pcs", "-f", cib, *args])
        assert done.returncode == 0, f"pcs {' '.join(args)}: {done.stderr}"
    root = ET.parse(cib).getroot()
    return ([ET.tostring(e, encoding="unicode") for e in root.find("configuration/resources")],
            [ET.tostring(e, encoding="unicode") for e in root.find("configuration/constraints")])


@pytest.fixture(scope="module")
def stack(installed: str, tmp_path_factory) -> Iterator[VmCluster]:
    with booted_pair(32, cluster=True) as pair:
        drbd.bring_up_synced(pair, RESOURCE)
        for guest in pair.guests:
            guest.run(["mkdir", "-p", MOUNTPOINT], check=True)
        with VmCluster(pair) as cluster:
            resources, constraints = configuration(installed, tmp_path_factory.mktemp("cib"))
            node = cluster.any_node()
            for scope, elements in (("resources", resources), ("constraints", constraints)):
                for element in elements:
                    cluster.run(node, ["cibadmin", "--create", "--scope", scope,
                                       "--xml-text", element], check=True)
            yield cluster


def primaries(cluster: VmCluster) -> list[str]:
    """Running nodes whose kernel says DRBD is Primary there."""
    found = []
    for name in cluster.names:
        guest = cluster.pair.guest(name)
        if guest.running and "ro:Primary" in guest.run(["cat", "/proc/drbd"]).stdout:
            found.append(name)
    return found


def promoted_with_vip(cluster: VmCluster) -> str | None:
    roles = cluster.resource_roles("data")
    promoted = [name for name, role in roles.items() if role == "Promoted"]
    if len(promoted) != 1 or cluster.resource_roles("vip") != {promoted[0]: "Started"}:
        return None
    return promoted[0]


def test_power_cut_of_the_promoted_node_promotes_the_survivor_with_the_data(stack) -> None:
    cluster = stack
    seen: list[str] = []

    def settled() -> bool:
        seen[:] = [promoted_with_vip(cluster) or ""]
        return bool(seen[0])
    cluster.wait_for(settled, 300, "data promoted, vip up")
    first = seen[0]
    guest = cluster.pair.guest(first)
    guest.write_file(f"{MOUNTPOINT}/acknowledged.txt", "written before the power cut\n")
    guest.run(["sync"], check=True)
    digest = guest.run(["sha256sum", f"{MOUNTPOINT}/acknowledged.txt"],
                       check=True).stdout.split()[0]
    survivor = next(name for name in cluster.names if name != first)

    cut = time.monotonic()
    cluster.kill(first)
    cluster.wait_for(lambda: promoted_with_vip(cluster) == survivor, 300,
                     f"data promoted and vip up on {survivor}")
    report_figure(f"vm drbd stack: power cut of the Promoted node -> survivor Promoted, "
                  f"mounted, VIP up in {time.monotonic() - cut:.1f} s (TCG, token "
                  f"{cluster.token_ms} ms, fencing)")
    assert any(event[2] == first for event in cluster.fence_events)
    after = cluster.pair.guest(survivor).run(["sha256sum", f"{MOUNTPOINT}/acknowledged.txt"],
                                             check=True).stdout.split()[0]
    assert after == digest
    # Whatever else runs (the fenced node may be booting again): one Primary, the survivor.
    assert primaries(cluster) == [survivor]
