"""Hosts in network namespaces on one bridge: the lab's smallest piece.

A `Lan` owns a hub namespace with a bridge and any number of `Host` namespaces, each joined to the
bridge by a veth pair whose inside end is `eth0`. Names carry the creating pid, so parallel runs
never collide and `sweep_stale()` can remove what a killed run left behind.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

PREFIX = "pyha"
_counter = itertools.count()


def unique_name(kind: str) -> str:
    return f"{PREFIX}-{kind}-{os.getpid()}-{next(_counter)}"


def sh(argv: Sequence[str], check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), check=check, capture_output=True, text=True, **kwargs)


def sweep_stale() -> list[str]:
    """Delete lab namespaces whose creating process is gone (a run killed before its cleanup),
    and kill what still runs in them (a node's init, a listener), or it would outlive them."""
    removed = []
    for name in sh(["ip", "netns", "list"]).stdout.split():
        parts = name.split("-")
        stale = (len(parts) >= 4 and parts[0] == PREFIX and parts[-2].isdigit()
                 and not os.path.exists(f"/proc/{parts[-2]}"))
        if stale:
            for pid in sh(["ip", "netns", "pids", name], check=False).stdout.split():
                sh(["kill", "-9", pid], check=False)
            sh(["ip", "netns", "del", name], check=False)
            removed.append(name)
    return removed


@dataclass
class Host:
    name: str
    netns: str
    ipv4: str | None = None      # CIDR, e.g. 10.77.0.1/24
    ipv6: str | None = None
    nic: str = "eth0"
    hub_port: str = ""

    def exec_argv(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *argv]

    def run(self, argv: Sequence[str], check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        return sh(self.exec_argv(argv), check=check, **kwargs)

    def popen(self, argv: Sequence[str], **kwargs) -> subprocess.Popen:
        return subprocess.Popen(self.exec_argv(argv), **kwargs)

    @property
    def address(self) -> str:
        return (self.ipv4 or self.ipv6 or "").split("/")[0]

    def addresses(self) -> str:
        return self.run(["ip", "-o", "addr", "show", "dev", self.nic]).stdout

    def set_link(self, up: bool) -> None:
        self.run(["ip", "link", "set", "dev", self.nic, "up" if up else "down"])


@dataclass
class Lan:
    """A bridge in a hub namespace and hosts on it. Use as a context manager."""

    subnet4: str = "10.77.0"
    subnet6: str = "fd77::"
    hub: str = field(default_factory=lambda: unique_name("hub"))
    hosts: list[Host] = field(default_factory=list)
    unplugged: set[str] = field(default_factory=set)

    def __enter__(self) -> Lan:
        sh(["ip", "netns", "add", self.hub])
        self._hub(["ip", "link", "set", "lo", "up"])
        self._hub(["ip", "link", "add", "br0", "type", "bridge"])
        self._hub(["ip", "link", "set", "br0", "up"])
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _hub(self, argv: Sequence[str]) -> None:
        sh(["ip", "netns", "exec", self.hub, *argv])

    def add_host(self, name: str, number: int, ipv6: bool = True) -> Host:
        """Host `name` with 10.77.0.<number>/24 and fd77::<number>/64 on eth0."""
        port = f"p{os.getpid() % 100000}x{len(self.hosts)}"
        host = Host(name, unique_name(name), f"{self.subnet4}.{number}/24",
                    f"{self.subnet6}{number}/64" if ipv6 else None, hub_port=port)
        self.hosts.append(host)
        self.power_on(host)
        return host

    def power_off(self, host: Host) -> None:
        """The machine is gone: its namespace, its addresses and its cable with it.

        The cable goes first: a namespace is torn down asynchronously, and a veth end left
        behind in the hub would block the port's name when the host powers on again."""
        sh(["ip", "netns", "exec", self.hub, "ip", "link", "del", host.hub_port], check=False)
        sh(["ip", "netns", "del", host.netns], check=False)

    def power_on(self, host: Host, fast_dad: bool = True) -> None:
        """A fresh namespace for the host, cabled to the bridge, with its own addresses."""
        netns, port = host.netns, host.hub_port
        sh(["ip", "netns", "add", netns])
        sh(["ip", "link", "add", port, "netns", self.hub, "type", "veth",
            "peer", "name", "eth0", "netns", netns])
        self._hub(["ip", "link", "set", port, "master", "br0"])
        if host.name not in self.unplugged:  # a reboot does not replug a cut cable
            self._hub(["ip", "link", "set", port, "up"])
        host.run(["ip", "link", "set", "lo", "up"])
        if fast_dad:
            # DAD without its random start delay (up to router_solicitation_delay, 1 s) and
            # with one probe answered within 100 ms instead of a second: tests stay quick.
            host.run(["sysctl", "-qw", "net.ipv6.conf.eth0.router_solicitation_delay=0"])
            host.run(["sysctl", "-qw", "net.ipv6.conf.eth0.dad_transmits=1"])
            host.run(["sysctl", "-qw", "net.ipv6.neigh.eth0.retrans_time_ms=100"])
        host.run(["ip", "addr", "add", host.ipv4, "dev", "eth0"])
        if host.ipv6:
            host.run(["ip", "addr", "add", host.ipv6, "dev", "eth0", "nodad"])
        host.set_link(True)

    def cut(self, host: Host) -> None:
        """Unplug the host's cable: its eth0 loses carrier, as when a switch port dies."""
        self.unplugged.add(host.name)
        self._hub(["ip", "link", "set", host.hub_port, "down"])

    def heal(self, host: Host) -> None:
        self.unplugged.discard(host.name)
        sh(["ip", "netns", "exec", self.hub, "ip", "link", "set", host.hub_port, "up"],
           check=False)  # absent while the host is powered off; power_on plugs it in

    def close(self) -> None:
        for host in self.hosts:
            sh(["ip", "netns", "del", host.netns], check=False)
        sh(["ip", "netns", "del", self.hub], check=False)
        self.hosts.clear()
