"""backend=kernel on a real kernel nfsd in the VM pair: alpha serves an ext4 disk, bravo mounts
it over NFSv4.2 and NFSv3 with the kernel client, writes and reads."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ocf_lib.codes import OCF_ERR_GENERIC, OCF_NOT_RUNNING, OCF_SUCCESS
from tests.lab.agents import ROOT, agent_environment
from tests.lab.vm.guest import Guest, Result
from tests.lab.vm.pair import VmPair
from tests.vm.conftest import booted_pair

pytestmark = pytest.mark.vm

AGENT = os.path.join(ROOT, "agents", "nfsserver")
SHARED = "/srvnfs"
# The guests' / is a 9p overlay nfsd cannot build an NFSv4 pseudo-root from: the export is the
# NFSv4 root itself (fsid=0), and NFSv4 clients mount 192.168.77.1:/.
PARAMS = {"exports": f"{SHARED}/data 192.168.77.0/24(rw,sync,no_root_squash,"
                     "no_subtree_check,fsid=0)",
          "shared_mountpoint": SHARED, "nfs_shared_infodir": f"{SHARED}/nfsinfo",
          "nfs_ip": "192.168.77.1", "nfs_server_scope": "nfs-vip", "grace_time": "10",
          "lease_time": "10", "threads": "4"}


def run_agent(guest: Guest, action: str, interval: int = 10000, **extra: str) -> Result:
    env = agent_environment("nfs", {**PARAMS, **extra},
                            {"interval": str(interval), "timeout": "60000"})
    return guest.run(["env", "-i", *(f"{k}={v}" for k, v in env.items()), AGENT, action],
                     timeout=120)


def exit_reason(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("ocf-exit-reason:")]
    return lines[-1].partition(":")[2] if lines else ""


@pytest.fixture(scope="module")
def pair() -> Iterator[VmPair]:
    with booted_pair(32) as vms:
        alpha, bravo = vms.guests
        alpha.run(["mkfs.ext4", "-q", "-F", "/dev/vda"], check=True)
        alpha.run(["mkdir", "-p", SHARED], check=True)
        alpha.run(["mount", "/dev/vda", SHARED], check=True)
        alpha.run(["mkdir", "-p", f"{SHARED}/data"], check=True)
        bravo.run(["mkdir", "-p", "/mnt/v4", "/mnt/v3"], check=True)
        yield vms


def test_kernel_server_serves_v4_and_v3_to_the_peer(pair: VmPair) -> None:
    alpha, bravo = pair.guests
    try:
        assert run_agent(alpha, "monitor", interval=0).rc == OCF_NOT_RUNNING
        started = run_agent(alpha, "start")
        assert started.rc == OCF_SUCCESS, started.output
        monitored = run_agent(alpha, "monitor")
        assert monitored.rc == OCF_SUCCESS, monitored.output
        assert alpha.run(["cat", "/proc/fs/nfsd/nfsv4leasetime"]).stdout.strip() == "10"
        v4 = bravo.run(["mount", "-t", "nfs4", "-o", "vers=4.2,soft,timeo=50,retrans=2",
                        "192.168.77.1:/", "/mnt/v4"], timeout=90)
        assert v4.rc == 0, v4.output
        wrote = bravo.run(["sh", "-c", "echo over-v4 > /mnt/v4/f4 && cat /mnt/v4/f4"],
                          timeout=90)
        assert wrote.rc == 0 and wrote.stdout == "over-v4\n", wrote.output
        v3 = bravo.run(["mount", "-t", "nfs", "-o", "vers=3,nolock,soft,timeo=50,retrans=2",
                        f"192.168.77.1:{SHARED}/data", "/mnt/v3"], timeout=90)
        assert v3.rc == 0, v3.output
        assert bravo.run(["cat", "/mnt/v3/f4"]).stdout == "over-v4\n"
        assert alpha.run(["cat", f"{SHARED}/data/f4"]).stdout == "over-v4\n"
        for mnt in ("/mnt/v4", "/mnt/v3"):
            bravo.run(["umount", "-f", mnt], timeout=60)
        mountd = alpha.run(["pidof", "rpc.mountd"]).stdout.split()
        alpha.run(["kill", "-9", *mountd], check=True)
        failed = run_agent(alpha, "monitor")
        assert failed.rc == OCF_ERR_GENERIC
        assert "rpc.mountd (pid" in exit_reason(failed)
    finally:
        stopped = run_agent(alpha, "stop")
        assert stopped.rc == OCF_SUCCESS, stopped.output
    assert alpha.run(["cat", "/proc/fs/nfsd/threads"]).stdout.strip() == "0"
    assert alpha.run(["mountpoint", "-q", "/var/lib/nfs"]).rc != 0
    assert run_agent(alpha, "monitor").rc == OCF_NOT_RUNNING
