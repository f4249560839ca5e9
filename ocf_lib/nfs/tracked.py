"""Daemons an agent started, remembered by pid and start time in a state file.

Monitors check each one from /proc (no process is spawned), so the death of any single daemon is
noticed and named — the failure seed 000's heartbeat never saw. The start time guards against a
recycled pid passing for the daemon.
"""

from __future__ import annotations

import os

from ..record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..deadline import Deadline
    from ..log import Logger
    from ..statefile import StateFile


@record
class TrackedDaemon:
    name: str         # what the exit reason calls it: rpc.mountd, ganesha.nfsd, ...
    pid: int
    started: int      # start time in clock ticks since boot (/proc/PID/stat field 22)
    owned: bool       # False for a daemon found running (rpcbind): checked, never stopped

    def line(self) -> str:
        return f"{self.name} {self.pid} {self.started} {'owned' if self.owned else 'shared'}\n"


def start_time(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat, or None for no such process or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(b")") + 2:].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def track(name: str, pid: int, owned: bool = True) -> TrackedDaemon | None:
    started = start_time(pid)
    return None if started is None else TrackedDaemon(name, pid, started, owned)


def is_running(daemon: TrackedDaemon) -> bool:
    return start_time(daemon.pid) == daemon.started


def parse(text: str) -> list[TrackedDaemon]:
    daemons = []
    for line in text.splitlines():
        words = line.split()
        if len(words) == 4 and words[1].isdigit() and words[2].isdigit():
            daemons.append(TrackedDaemon(words[0], int(words[1]), int(words[2]),
                                         words[3] == "owned"))
    return daemons


class DaemonRegistry:
    """The daemons of one resource instance, persisted after every change: a stop after a
    start that died half-way still finds everything that start left running."""

    def __init__(self, state: StateFile) -> None:
        self.state = state
        self.daemons = parse(state.read() or "")

    def add(self, daemon: TrackedDaemon) -> None:
        self.daemons = [d for d in self.daemons if d.name != daemon.name] + [daemon]
        self.state.write("".join(d.line() for d in self.daemons))

    def get(self, name: str) -> TrackedDaemon | None:
        return next((d for d in self.daemons if d.name == name), None)

    def dead(self) -> list[TrackedDaemon]:
        return [d for d in self.daemons if not is_running(d)]

    def stop_all(self, deadline: Deadline, log: Logger, grace: float = 5.0) -> list[str]:
        """Stop the owned daemons, newest first; return the names of those still alive."""
        from ..processes import terminate

        left = []
        for daemon in reversed(self.daemons):
            if not daemon.owned or not is_running(daemon):
                continue
            log.info(f"stopping {daemon.name} (pid {daemon.pid})")
            if not terminate(daemon.pid, deadline, grace) and is_running(daemon):
                left.append(f"{daemon.name}[{daemon.pid}]")
        if not left:
            self.daemons = []
            self.state.remove()
        return left


def find_by_name(name: str) -> list[int]:
    """Pids whose command name (/proc/PID/comm, 15 characters at most) is `name`."""
    comm = name[:15]
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm", encoding="utf-8", errors="replace") as f:
                if f.read().rstrip("\n") == comm:
                    found.append(int(entry))
        except OSError:
            continue
    return found
