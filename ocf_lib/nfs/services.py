"""The RPC helpers both NFS servers need (rpcbind, rpc.statd, sm-notify), and the one way every
NFS daemon is started: in the foreground, detached, its pid tracked, its output in a log file
whose last line becomes the exit reason when it dies at once."""

from __future__ import annotations

import os
import socket

from ..codes import OCF_ERR_GENERIC, OCFError
from ..daemons import run_daemonizing, spawn_daemon
from ..deadline import Deadline
from . import tracked

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..log import Logger

RPCBIND_SOCKET = "/run/rpcbind.sock"
# A daemon still alive this long after its start has read its configuration and bound its
# sockets; those that fail (port taken, directory missing) exit well within it.
SETTLE_SECONDS = 0.3


def last_line(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as output:
            lines = [line.strip() for line in output if line.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""


def start_daemon(registry: tracked.DaemonRegistry, name: str, argv: Sequence[str],
                 output_path: str, deadline: Deadline, log: Logger,
                 ready: Callable[[], bool] | None = None, ready_seconds: float = 10.0) -> None:
    """Start a foreground daemon unless the registry already has it running; wait until
    `ready()` (or SETTLE_SECONDS of life), bounded by the deadline; OCFError if it dies."""
    known = registry.get(name)
    if known is not None and tracked.is_running(known):
        return
    pid = spawn_daemon(argv, log, output_path=output_path)
    daemon = tracked.track(name, pid)
    if daemon is not None:
        registry.add(daemon)
    limit = Deadline(deadline.bounded(ready_seconds), margin_s=0)
    settled = Deadline(SETTLE_SECONDS, margin_s=0)
    while True:
        if daemon is None or not tracked.is_running(daemon):
            why = last_line(output_path) or "no output"
            raise OCFError(OCF_ERR_GENERIC, f"{name} exited at start: {why}")
        if (ready() if ready is not None else settled.expired()):
            return
        if limit.expired():
            raise OCFError(OCF_ERR_GENERIC, f"{name} (pid {pid}) not ready within "
                                            f"{limit.budget_s:.1f}s")
        limit.sleep(0.05)


def refuse_foreign(names: Sequence[str], registry: tracked.DaemonRegistry) -> None:
    """Daemons this resource would start must not already run outside it (a distribution's
    nfs-server service, a second resource): two would fight over ports and /var/lib/nfs."""
    for name in names:
        ours = registry.get(name)
        others = [pid for pid in tracked.find_by_name(name)
                  if ours is None or pid != ours.pid]
        if others:
            raise OCFError(OCF_ERR_GENERIC, f"{name} already runs as pid {others[0]} outside "
                                            f"this resource; disable the distribution's NFS "
                                            f"services on cluster nodes")


def ensure_rpcbind(registry: tracked.DaemonRegistry, output_path: str, deadline: Deadline,
                   log: Logger) -> None:
    """rpcbind serves every RPC program on the node: one already running is used (and checked
    by monitor) but never stopped; otherwise the agent starts its own."""
    running = [pid for pid in tracked.find_by_name("rpcbind")]
    known = registry.get("rpcbind")
    if known is not None and tracked.is_running(known):
        return
    if running:
        shared = tracked.track("rpcbind", running[0], owned=False)
        if shared is not None:
            registry.add(shared)
            return
    start_daemon(registry, "rpcbind", ["rpcbind", "-f", "-w"], output_path, deadline, log,
                 ready=lambda: accepts_connections(RPCBIND_SOCKET))


def accepts_connections(socket_path: str) -> bool:
    """rpcbind binds its socket (the file appears) before it listens; a daemon that registers
    in between is refused and exits, so only a successful connect means ready."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(socket_path)
        except OSError:
            return False
    return True


def start_statd(registry: tracked.DaemonRegistry, output_path: str, deadline: Deadline,
                log: Logger) -> None:
    # --no-notify: the agent runs sm-notify itself, once per floating address.
    # --no-syslog: statd's reasons go to its output file, whose last line names why it died.
    start_daemon(registry, "rpc.statd", ["rpc.statd", "-F", "--no-syslog", "--no-notify"],
                 output_path, deadline, log)


def notify_clients(addresses: Sequence[str], deadline: Deadline, log: Logger) -> list[str]:
    """Tell the NFSv3 clients in statd's list (sm) that the server rebooted, so they reclaim
    their locks here. -f: even if this node did not reboot; -v: from the address they know.

    An address not on this node yet cannot be a source (the floating IP usually starts after
    the server): those are returned, for monitor to notify from once they are up."""
    waiting = []
    for address in addresses or [""]:
        if address and not is_local_address(address):
            waiting.append(address)
            continue
        argv = ["sm-notify", "-f", *(["-v", address] if address else [])]
        # sm-notify leaves a pid file that makes the next run a no-op.
        try:
            os.unlink("/run/sm-notify.pid")
        except FileNotFoundError:
            pass
        launch = run_daemonizing(argv, deadline, log, max_seconds=10)
        if launch.ok:
            log.info(f"NFSv3 clients notified{f' from {address}' if address else ''}")
        else:
            log.warning(f"sm-notify: {launch.summary()}")
    return waiting


def is_local_address(text: str) -> bool:
    from ..addresses import find_address, parse_ip

    return find_address(parse_ip(text)) is not None


def stop_notifiers(deadline: Deadline, log: Logger) -> None:
    """sm-notify keeps retrying in the background with sm.bak open; it must go before the
    state directory can be unmounted."""
    from ..processes import terminate

    for pid in tracked.find_by_name("sm-notify"):
        log.info(f"stopping sm-notify (pid {pid})")
        terminate(pid, deadline, grace=1.0)
