"""backend=kernel on a real kernel nfsd in the VM pair: alpha serves an ext4 disk, bravo mounts
it over NFSv4.2 and NFSv3 with the kernel client, writes and reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ocf_lib.codes import OCF_ERR_GENERIC, OCF_NOT_RUNNING, OCF_SUCCESS
from tests.lab.agents import agent_path
from tests.lab.vm.guest import Result
from tests.lab.vm.nfs import EXPORT_DIR, PARAMS, SHARED, prepare_disk, run_agent
from tests.lab.vm.pair import VmPair
from tests.vm.conftest import booted_pair

pytestmark = pytest.mark.vm


def exit_reason(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("ocf-exit-reason:")]
    return lines[-1].partition(":")[2] if lines else ""


@pytest.fixture(scope="module")
def pair() -> Iterator[VmPair]:
    with booted_pair(32) as vms:
        prepare_disk(vms.guests[0])
        vms.guests[1].run(["mkdir", "-p", "/mnt/v4", "/mnt/v3"], check=True)
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
    # Unexported, in the kernel and in the etab the next node's mountd starts from.
    for table in ("/proc/fs/nfs/exports", f"{SHARED}/nfsinfo/etab"):
        assert EXPORT_DIR not in alpha.run(["cat", table], check=True).stdout, table
    assert run_agent(alpha, "monitor").rc == OCF_NOT_RUNNING


def test_ocf_tester_passes_on_the_kernel_server(pair: VmPair) -> None:
    """Start, monitor, stop, each twice over, and probes in between, on the real server."""
    options = [arg for name, value in PARAMS.items() for arg in ("-o", f"{name}={value}")]
    done = pair.guests[0].run(["ocf-tester", "-n", "nfs", *options, agent_path("nfsserver")],
                              timeout=600)
    assert done.rc == 0, done.output
    assert "passed all tests" in done.stdout
