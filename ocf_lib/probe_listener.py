"""The load-balancer health-probe listener: a small daemon that accepts TCP on the probe port.

Cloud load balancers (Azure's internal LB above all) send traffic to the backend whose probe port
completes a TCP handshake, so the listener runs only on the node that should get traffic. Unlike
azure-lb's netcat it serves any number of probes at once (the kernel completes handshakes from a
deep backlog; we accept and close in a loop), falls back to IPv4 where IPv6 is disabled, and can
withhold the port while a health check of the protected service fails: it closes its listening
sockets, so probes are refused and the balancer stops sending traffic to a dead service.

It reports through the status file that ocf_lib.listener_control reads (ListenerStatus).
"""

from __future__ import annotations

import argparse
import errno
import os
import select
import signal
import socket
import sys
import time

from .health import HealthResult, check_command, check_tcp, parse_command, parse_endpoint
from .listener_control import FAILED, LISTENING, MODULE, WITHHELD, ListenerStatus

BACKLOG = 4096

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from typing import Callable


def open_sockets(port: int, bind: str | None) -> list[socket.socket]:
    """Listening sockets: on `bind`, or dual-stack on every address, or IPv4 only where the
    host has IPv6 disabled."""
    if bind:
        family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        return [_listen(family, bind, port)]
    try:
        return [_listen(socket.AF_INET6, "::", port, dual_stack=True)]
    except OSError as err:
        if err.errno not in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT):
            raise
    return [_listen(socket.AF_INET, "0.0.0.0", port)]


def _listen(family: int, address: str, port: int, dual_stack: bool = False) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if dual_stack:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((address, port))
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class ProbeListener:
    def __init__(self, port: int, bind: str | None, status_path: str,
                 health: Callable[[], HealthResult] | None, interval: float) -> None:
        self.port = port
        self.bind = bind
        self.status_path = status_path
        self.health = health
        self.interval = interval
        self.sockets: list[socket.socket] = []

    def report(self, state: str, detail: str) -> None:
        temporary = f"{self.status_path}.tmp"
        with open(temporary, "w", encoding="utf-8") as status:
            status.write(ListenerStatus(os.getpid(), state, detail).line())
        os.replace(temporary, self.status_path)

    def open(self) -> None:
        if not self.sockets:
            self.sockets = open_sockets(self.port, self.bind)

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets = []

    def apply(self, result: HealthResult) -> None:
        if result.ok:
            self.open()
            self.report(LISTENING, f"port {self.port}; {result.detail}")
        else:
            self.close()
            self.report(WITHHELD, f"port {self.port} withheld: {result.detail}")

    def serve_forever(self) -> None:
        next_check = time.monotonic()
        if self.health is None:
            self.apply(HealthResult(True, "no health check"))
        while True:
            if self.health is not None and time.monotonic() >= next_check:
                self.apply(self.health())
                next_check = time.monotonic() + self.interval
            wait = max(0.0, next_check - time.monotonic()) if self.health else None
            if not self.sockets:
                time.sleep(wait if wait is not None else 1.0)
                continue
            readable, _, _ = select.select(self.sockets, [], [], wait)
            for sock in readable:
                self._drain(sock)

    @staticmethod
    def _drain(sock: socket.socket) -> None:
        """Accept and close every pending probe: the handshake was all the balancer wanted."""
        while True:
            try:
                connection, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # ECONNABORTED, EMFILE…: the next select tries again
                return
            connection.close()


def _health_from(args: argparse.Namespace) -> Callable[[], HealthResult] | None:
    if args.health_tcp:
        host, port = parse_endpoint(args.health_tcp)
        return lambda: check_tcp(host, port, args.health_timeout)
    if args.health_command:
        argv = parse_command(args.health_command)
        return lambda: check_command(argv, args.health_timeout)
    return None


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog=MODULE)
    parser.add_argument("--status-file", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bind")
    parser.add_argument("--health-tcp")
    parser.add_argument("--health-command")
    parser.add_argument("--health-interval", type=float, default=2.0)
    parser.add_argument("--health-timeout", type=float, default=1.0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = ProbeListener(args.port, args.bind, args.status_file, _health_from(args),
                             args.health_interval)
    try:
        listener.serve_forever()
    except OSError as err:
        listener.report(FAILED, f"cannot listen on port {args.port}: {err.strerror or err}")
        sys.exit(1)
    finally:
        listener.close()
