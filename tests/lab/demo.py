"""`make demo`: the NFS-on-DRBD topology of seeds 000/003 on a two-node Pacemaker cluster, the
serving node's power cut while a client writes, the outage the client saw, no write lost.

Two qemu guests of the lab (alpha, bravo: each a node with a DRBD disk, Corosync and Pacemaker,
fencing on) run the recipe of doc/recipes/nfs-on-drbd.md, created with its own pcs commands.
The other node mounts the service address over NFSv4.2 and writes files; the serving node is
killed; the survivor fences it, takes over, and the client's writes go on. Nothing outside the
guests and a temporary directory is touched; everything is removed at the end.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import time

from tests.lab.install import make_install
from tests.lab.vm.kernel import KernelUnavailable
from tests.lab.vm.nfs_topology import (
    DIRECTORIES,
    EXPORT,
    GRACE_SECONDS,
    pcs_commands,
    power_cut_under_writes,
    wait_serving,
)
from tests.lab.vm.pair import VmPair
from tests.lab.vm.topology import PROPERTIES
from tests.vm.conftest import missing_cluster_tool, missing_requirement
from tests.vm.drbd_stack import MOUNTPOINT, RESOURCE, VIP, stack_on


class Clock:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {text}", flush=True)


def main() -> int:
    reason = missing_requirement() or missing_cluster_tool()
    if reason:
        print(f"make demo: {reason}", file=sys.stderr)
        return 1
    clock = Clock()
    commands = pcs_commands()
    with tempfile.TemporaryDirectory(prefix="pyha-demo-") as scratch:
        installed = os.path.join(scratch, "root")
        make_install(installed)
        clock.say("booting two qemu guests, alpha (192.168.77.1) and bravo (192.168.77.2)")
        try:
            pair = VmPair(disk_mib=32).__enter__()
        except KernelUnavailable as err:
            print(f"make demo: no guest kernel: {err}", file=sys.stderr)
            return 1
        try:
            clock.say(f"booted in {pair.boot_seconds:.1f}s ({pair.accel}); now: DRBD "
                      f"{RESOURCE} on both disks (synced, ext4 holding {', '.join(DIRECTORIES)}"
                      f", crm-fence-peer handlers), Corosync + Pacemaker with fencing on both "
                      f"({', '.join('='.join(p) for p in PROPERTIES)}), and the pcs commands of "
                      f"doc/recipes/nfs-on-drbd.md:")
            for argv in commands:
                print(f"    $ pcs {shlex.join(argv)}", flush=True)
            with stack_on(pair, installed, scratch, commands, crm_fencing=True,
                          properties=PROPERTIES, directories=DIRECTORIES) as cluster:
                clock.say(f"cluster formed ({' '.join(sorted(cluster.online_nodes()))} online), "
                          f"configuration loaded")
                serving = wait_serving(cluster, 300)
                clock.say(f"NFS stack up on {serving}:")
                print(cluster.run(serving, ["crm_mon", "-1"]).stdout, flush=True)
                result = power_cut_under_writes(cluster, clock.say)
                print(cluster.run(result.survivor, ["crm_mon", "-1"]).stdout, flush=True)
        finally:
            pair.close()
        clock.say("guests stopped, temporary files removed")
    lost = result.lost()
    print(f"RESULT: power cut of {result.killed}: {result.survivor} fenced it "
          f"({', '.join(result.fenced) or 'no fencing seen'}) and served NFS from {VIP} again "
          f"{result.stack_seconds:.1f} s later; the client's writes stalled for at most "
          f"{result.outage_seconds:.1f} s (failure detection, fencing, DRBD promotion, mount of "
          f"{MOUNTPOINT}, nfsd start, NFSv4 reclaim within a {GRACE_SECONDS} s grace); "
          f"{result.acknowledged} acknowledged writes checked through NFS and in {EXPORT}: "
          f"{lost} lost or damaged")
    return 0 if lost == 0 and result.primaries == [result.survivor] else 1


if __name__ == "__main__":
    sys.exit(main())
