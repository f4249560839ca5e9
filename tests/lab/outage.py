"""Measure how long a client cannot reach an address: ping every 10 ms, find the longest gap."""

from __future__ import annotations

import re
import signal
import subprocess
import time

from tests.lab.netns import Host

_REPLY = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from")


class Pinger:
    """`ping -D -i 0.01` from a host, as a context manager; `longest_gap()` after it ends."""

    interval = 0.01

    def __init__(self, host: Host, target: str) -> None:
        self.host = host
        self.target = target
        self.output = ""

    def __enter__(self) -> Pinger:
        self.process = self.host.popen(["ping", "-D", "-n", "-i", str(self.interval), self.target],
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return self

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)
        self.output, _ = self.process.communicate(timeout=10)

    def replies(self) -> list[float]:
        return [float(m.group(1)) for line in self.output.splitlines()
                if (m := _REPLY.match(line))]

    def longest_gap(self, after: float) -> float:
        """The longest time without replies from `after` (epoch seconds) until the last reply."""
        stamps = [after] + [t for t in self.replies() if t >= after]
        if len(stamps) < 2:
            raise AssertionError(f"no replies from {self.target} after the move:\n{self.output}")
        return max(later - earlier for earlier, later in zip(stamps, stamps[1:]))

    def wait_for_replies(self, count: int = 5, timeout: float = 10) -> None:
        """Wait until the pinger has had time to see `count` replies (traffic is flowing)."""
        time.sleep(min(timeout, count * self.interval * 3))
