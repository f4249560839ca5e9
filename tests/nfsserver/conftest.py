"""One NFS server node (own network, mount and PID namespaces) and a client host per module."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.lab import netns
from tests.lab.nfs_node import NfsNode

GANESHA_TOOLS = {"ganesha.nfsd": "nfs-ganesha", "nfs-ls": "libnfs-utils",
                 "dbus-daemon": "dbus-daemon", "rpcbind": "rpcbind", "rpc.statd": "nfs-common"}


def missing_tool(tools: dict[str, str]) -> str | None:
    for tool, package in tools.items():
        if shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
            return f"{tool} is missing (apt package {package}; see tools/install-deps)"
    return None


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[NfsNode, netns.Host]]:
    if os.geteuid() != 0:
        pytest.skip("namespaces need root")
    reason = missing_tool(GANESHA_TOOLS)
    if reason:
        pytest.skip(reason)
    with netns.Lan() as network:
        server = network.add_host("nfs", 1, ipv6=False)
        client = network.add_host("nfscl", 10, ipv6=False)
        with NfsNode(server) as node:
            yield node, client
