"""Processes from /proc: liveness that sees zombies, command lines, bounded TERM-then-KILL."""

from __future__ import annotations

import os
import time

from .deadline import Deadline


def process_state(pid: int) -> str | None:
    """The one-letter state from /proc/PID/stat (R, S, D, Z, …), or None if there is no such pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may contain spaces and parentheses: the state follows the last ')'.
    return text[text.rindex(b")") + 2:][:1].decode()


def is_alive(pid: int) -> bool:
    """True for a live process; a zombie (killed but never reaped) counts as dead."""
    return process_state(pid) not in (None, "Z", "X")


def cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as raw:
            return [part.decode("utf-8", "replace") for part in raw.read().split(b"\0") if part]
    except (FileNotFoundError, ProcessLookupError):
        return []


def terminate(pid: int, deadline: Deadline, grace: float) -> bool:
    """SIGTERM, wait up to `grace` (bounded by the deadline), then SIGKILL; True once it is gone.

    Half of what is left is kept for the SIGKILL stage so a process ignoring TERM cannot eat the
    whole budget.
    """
    import signal  # signal pulls in enum and functools: ~6 ms a monitor never needs

    for sig, wait in ((signal.SIGTERM, min(grace, deadline.remaining() / 2)),
                      (signal.SIGKILL, deadline.remaining())):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        until = time.monotonic() + wait
        while is_alive(pid):
            if time.monotonic() >= until:
                break
            time.sleep(0.02)
        else:
            return True
    return not is_alive(pid)
