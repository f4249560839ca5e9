"""Nodes of the `lan` fixture with their own HA_RSCTMP, running the floating-ip agent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.lab.agents import AgentResult, run_agent
from tests.lab.netns import Host, Lan

VIP4 = "10.77.0.100"
VIP6 = "fd77::100"


@dataclass
class Node:
    host: Host
    rsctmp: str

    def agent(self, action: str, params: dict, meta: dict | None = None,
              instance: str = "vip", **extra_env: str) -> AgentResult:
        return run_agent("floating-ip", action, instance=instance, params=params, meta=meta,
                         netns=self.host.netns, extra_env={"HA_RSCTMP": self.rsctmp, **extra_env})

    def has_address(self, address: str) -> bool:
        return f" {address}/" in self.host.addresses()


@pytest.fixture
def nodes(lan: Lan, tmp_path) -> Iterator[tuple[Node, Node, Host]]:
    """node1 and node2 (agents run here) and the client host."""
    pair = []
    for host in lan.hosts[:2]:
        rsctmp = tmp_path / host.name
        rsctmp.mkdir()
        pair.append(Node(host, str(rsctmp)))
    try:
        yield pair[0], pair[1], lan.hosts[2]
    finally:
        # Listener daemons live in their own sessions: stop them even when a test failed.
        for node in pair:
            for status in (tmp_path / node.host.name).glob("*.listener"):
                pid = status.read_text().split()[0]
                node.host.run(["kill", "-9", pid], check=False)
