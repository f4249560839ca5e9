"""The nfsserver agent with backend=ganesha, on a real NFS-Ganesha in a namespace node, read and
written by a real NFS client (libnfs) from another host: every action, every daemon killed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from ocf_lib.codes import OCF_ERR_GENERIC, OCF_NOT_RUNNING, OCF_SUCCESS
from tests.conftest import report_figure
from tests.lab.netns import Host
from tests.lab.nfs_node import RSCTMP, NfsNode

pytestmark = [pytest.mark.netns]


def params(node: NfsNode, **extra: str) -> dict[str, str]:
    return {"backend": "ganesha", "shared_mountpoint": node.shared,
            "nfs_shared_infodir": f"{node.shared}/nfsinfo",
            "exports": f"{node.shared}/data *(rw,sync,no_root_squash); "
                       f"{node.shared}/pub 10.77.0.0/24(ro)",
            "nfs_ip": "10.77.0.1", "nfs_server_scope": "nfs-vip", "grace_time": "10",
            "lease_time": "10", **extra}


@pytest.fixture
def node(lab) -> Iterator[NfsNode]:
    server, _ = lab
    for sub in ("data", "pub"):
        server.run(["mkdir", "-p", f"{server.shared}/{sub}"], check=True)
    server.run(["sh", "-c", f"echo published > {server.shared}/pub/readme"], check=True)
    try:
        yield server
    finally:
        stopped = server.agent("stop", params(server))
        assert stopped.rc == OCF_SUCCESS, stopped.stderr
        assert not server.mounted("/var/lib/nfs")
        assert not server.pids("ganesha.nfsd")


@pytest.fixture
def client(lab) -> Host:
    return lab[1]


def nfs(client: Host, tool: str, *args: str) -> subprocess.CompletedProcess:
    return client.run([tool, *args], check=False, timeout=30)


def wait_until_writable(client: Host, tmp_path, directory: str) -> float:
    """Seconds until a new file can be created over NFSv4 (the server's grace period)."""
    local = tmp_path / "probe"
    local.write_text("x")
    started = time.monotonic()
    while time.monotonic() - started < 30:
        target = url(f"{directory}/probe-{time.monotonic_ns()}", 4)
        if nfs(client, "nfs-cp", str(local), target).returncode == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError("the export never became writable")


def url(path: str, version: int) -> str:
    return f"nfs://10.77.0.1{path}?version={version}"


def test_start_serves_v3_and_v4_and_stop_cleans_up(node: NfsNode, client: Host,
                                                   tmp_path) -> None:
    probe = node.agent("monitor", params(node), meta={"interval": "0"})
    assert probe.rc == OCF_NOT_RUNNING, probe.stderr
    started = node.agent("start", params(node))
    assert started.rc == OCF_SUCCESS, started.stderr
    assert node.agent("start", params(node)).rc == OCF_SUCCESS  # idempotent
    monitored = node.agent("monitor", params(node), meta={"interval": "10000"})
    assert monitored.rc == OCF_SUCCESS, monitored.stderr
    # The state directory is the shared one, bound over /var/lib/nfs, with Ganesha's recovery.
    assert node.mounted("/var/lib/nfs")
    assert node.run(["test", "-d", f"{node.shared}/nfsinfo/ganesha"]).returncode == 0
    # Opening files waits for the grace period (grace_time=10, not Ganesha's 90 s).
    grace = wait_until_writable(client, tmp_path, f"{node.shared}/data")
    report_figure(f"nfsserver ganesha: opens accepted {grace:.1f}s after start "
                  f"(grace_time=10)")
    assert grace < 20
    for version in (3, 4):
        read = nfs(client, "nfs-cat", url(f"{node.shared}/pub/readme", version))
        assert read.returncode == 0 and read.stdout == "published\n", read.stderr
        local = tmp_path / f"upload{version}"
        local.write_text(f"written over v{version}\n")
        written = nfs(client, "nfs-cp", str(local), url(f"{node.shared}/data/f{version}",
                                                          version))
        assert written.returncode == 0, written.stdout + written.stderr
        on_disk = node.run(["cat", f"{node.shared}/data/f{version}"])
        assert on_disk.stdout == f"written over v{version}\n"
    # ro means ro
    refused = nfs(client, "nfs-cp", str(tmp_path / "upload3"), url(f"{node.shared}/pub/x", 3))
    assert refused.returncode != 0
    stopped = node.agent("stop", params(node))
    assert stopped.rc == OCF_SUCCESS, stopped.stderr
    assert node.agent("monitor", params(node), meta={"interval": "10000"}).rc == OCF_NOT_RUNNING
    assert nfs(client, "nfs-ls", url(f"{node.shared}/pub", 4)).returncode != 0
    assert node.agent("stop", params(node)).rc == OCF_SUCCESS  # idempotent


@pytest.mark.parametrize("daemon", ["ganesha.nfsd", "rpc.statd", "rpcbind"])
def test_monitor_names_the_daemon_that_died(node: NfsNode, daemon: str) -> None:
    assert node.agent("start", params(node)).rc == OCF_SUCCESS
    pids = node.pids(daemon)
    assert len(pids) == 1
    os.kill(pids[0], signal.SIGKILL)
    monitored = node.agent("monitor", params(node), meta={"interval": "10000"})
    assert monitored.rc == OCF_ERR_GENERIC
    assert f"{daemon} (pid" in (monitored.exit_reason or "")


def test_nfsv4_only_runs_no_rpcbind_or_statd(node: NfsNode, client: Host, tmp_path) -> None:
    started = node.agent("start", params(node, nfsv4_only="true"))
    assert started.rc == OCF_SUCCESS, started.stderr
    assert not node.pids("rpcbind") and not node.pids("rpc.statd")
    wait_until_writable(client, tmp_path, f"{node.shared}/data")
    assert nfs(client, "nfs-cat", url(f"{node.shared}/pub/readme", 4)).returncode == 0
    assert nfs(client, "nfs-cat", url(f"{node.shared}/pub/readme", 3)).returncode != 0
    assert node.agent("stop", params(node, nfsv4_only="true")).rc == OCF_SUCCESS


def test_start_refuses_when_the_shared_filesystem_is_not_mounted(node: NfsNode) -> None:
    node.run(["umount", node.shared], check=True)
    try:
        node.run(["mkdir", "-p", f"{node.shared}/data", f"{node.shared}/pub"], check=True)
        started = node.agent("start", params(node))
        assert started.rc == OCF_ERR_GENERIC
        assert f"{node.shared} is not mounted" in (started.exit_reason or "")
        assert not node.pids("ganesha.nfsd") and not node.mounted("/var/lib/nfs")
    finally:
        node.run(["rm", "-rf", f"{node.shared}/data", f"{node.shared}/pub"])
        node.run(["mount", "-t", "tmpfs", "node-shared", node.shared], check=True)
        node.run(["mkdir", "-p", f"{node.shared}/data", f"{node.shared}/pub"], check=True)


def test_probe_after_reboot_ignores_state_left_on_the_shared_filesystem(node: NfsNode) -> None:
    assert node.agent("start", params(node)).rc == OCF_SUCCESS
    assert node.agent("stop", params(node)).rc == OCF_SUCCESS
    # What survives a reboot is on the replicated filesystem, not in HA_RSCTMP.
    assert node.run(["test", "-d", f"{node.shared}/nfsinfo/ganesha"]).returncode == 0
    probe = node.agent("monitor", params(node), meta={"interval": "0"})
    assert probe.rc == OCF_NOT_RUNNING


def test_stop_stops_what_holds_the_state_directory(node: NfsNode) -> None:
    assert node.agent("start", params(node)).rc == OCF_SUCCESS
    holder = subprocess.Popen(node.enter_argv(["sh", "-c", "cd /var/lib/nfs/sm && sleep 300"]))
    try:
        stopped = node.agent("stop", params(node))
        assert stopped.rc == OCF_SUCCESS, stopped.stderr
        assert not node.mounted("/var/lib/nfs")
        assert "is held by" in stopped.stderr
    finally:
        holder.kill()
        holder.wait()


def test_monitor_notices_an_export_ganesha_dropped(node: NfsNode) -> None:
    assert node.agent("start", params(node)).rc == OCF_SUCCESS
    removed = node.run(["dbus-send", "--system", "--print-reply", "--dest=org.ganesha.nfsd",
                        "/org/ganesha/nfsd/ExportMgr", "org.ganesha.nfsd.exportmgr.RemoveExport",
                        f"uint16:{export_id(node, 'pub')}"])
    assert removed.returncode == 0, removed.stderr
    # Ganesha drops an export once its last reference goes, which a busy machine may delay:
    # the next monitors must notice within a few seconds, not necessarily the very first.
    for _ in range(10):
        monitored = node.agent("monitor", params(node), meta={"interval": "10000"})
        if monitored.rc != OCF_SUCCESS:
            break
        time.sleep(0.5)
    assert monitored.rc == OCF_ERR_GENERIC
    assert f"{node.shared}/pub is not exported" in (monitored.exit_reason or "")


def export_id(node: NfsNode, name: str) -> int:
    from ocf_lib.nfs.exports import export_ids, parse_exports

    exports = parse_exports(params(node)["exports"])
    return export_ids("nfs", exports)[f"{node.shared}/{name}"]


def test_nfsv3_clients_are_notified_from_a_floating_ip_that_comes_up_after_start(
        node: NfsNode) -> None:
    """The group starts the server before its floating IP: sm-notify cannot send from an
    address the node does not have yet, so the first monitor that finds it here does."""
    pending = f"{RSCTMP}/pyha-nfsserver-nfs.sm-notify"
    floating = "10.77.0.50"
    settings = params(node, nfs_ip=f"10.77.0.1 {floating}")
    started = node.agent("start", settings)
    assert started.rc == OCF_SUCCESS, started.stderr
    assert node.run(["cat", pending]).stdout.split() == [floating]
    monitored = node.agent("monitor", settings, meta={"interval": "10000"})
    assert monitored.rc == OCF_SUCCESS
    assert node.run(["cat", pending]).stdout.split() == [floating]   # still not here
    node.run(["ip", "addr", "add", f"{floating}/24", "dev", "eth0"], check=True)
    monitored = node.agent("monitor", settings, meta={"interval": "10000"})
    assert monitored.rc == OCF_SUCCESS, monitored.stderr
    assert node.run(["test", "-e", pending]).returncode == 1
