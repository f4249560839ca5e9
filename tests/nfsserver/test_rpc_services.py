"""The RPC helpers' start-up edges, with real sockets and a real rpc.statd: rpcbind is ready
only once it listens, and a statd that cannot register says why."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest

from ocf_lib.nfs.services import accepts_connections
from tests.lab.agents import ROOT
from tests.nfsserver.conftest import missing_tool


def test_a_bound_socket_is_not_ready_until_it_listens(tmp_path) -> None:
    path = str(tmp_path / "rpcbind.sock")
    assert not accepts_connections(path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        assert not accepts_connections(path)  # the file exists: the window statd fell into
        server.listen()
        assert accepts_connections(path)


# Runs in fresh mount, PID and network namespaces, with private /run and /var/lib/nfs and no
# rpcbind at all, so statd's registration is refused.
STATD_WITHOUT_RPCBIND = textwrap.dedent("""
    import os, subprocess, sys
    for path in ("/run", "/var/lib/nfs"):
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", path], check=True)
    os.makedirs("/var/lib/nfs/sm")
    os.makedirs("/var/lib/nfs/sm.bak")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    sys.path.insert(0, sys.argv[1])
    from ocf_lib.codes import OCFError
    from ocf_lib.deadline import Deadline
    from ocf_lib.log import Logger
    from ocf_lib.nfs import services, tracked
    from ocf_lib.statefile import StateFile
    registry = tracked.DaemonRegistry(StateFile("/run", "nfsserver", "t", "daemons"))
    try:
        services.start_statd(registry, "/run/statd.log", Deadline(20),
                             Logger("nfsserver", "t", {"HA_LOGFILE": "/dev/null"}))
    except OCFError as err:
        print(err.reason)
""")


def test_a_statd_that_cannot_register_names_the_reason() -> None:
    if os.geteuid() != 0:
        pytest.skip("namespaces need root")
    reason = missing_tool({"rpc.statd": "nfs-common"})
    if reason:
        pytest.skip(reason)
    done = subprocess.run(
        ["unshare", "--mount", "--pid", "--net", "--fork", "--mount-proc",
         sys.executable, "-c", STATD_WITHOUT_RPCBIND, ROOT],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("rpc.statd exited at start: rpc.statd: "
                                   "failed to create RPC listeners, exiting")
