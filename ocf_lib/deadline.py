"""The time an action has left before Pacemaker's SIGKILL.

execd kills the agent's whole process group when `OCF_RESKEY_CRM_meta_timeout` expires, with no
SIGTERM first. Every wait in pyha is bounded by a Deadline so the agent can answer (and log why)
before that happens.
"""

from __future__ import annotations

import time

# Kept back from the op timeout so the agent can still log, clean up and exit on its own.
DEFAULT_MARGIN_S = 2.0


class DeadlineExceeded(Exception):
    pass


class Deadline:
    def __init__(self, budget_s: float, margin_s: float = DEFAULT_MARGIN_S,
                 started: float | None = None) -> None:
        self.started = time.monotonic() if started is None else started
        self.budget_s = budget_s
        # A tiny budget still gets half of itself rather than nothing.
        self.margin_s = min(margin_s, budget_s / 2)

    @classmethod
    def from_timeout_ms(cls, timeout_ms: int, started: float | None = None) -> Deadline:
        budget = timeout_ms / 1000.0
        # Longer operations keep a proportionally larger reserve (5 %), never less than 2 s.
        return cls(budget, margin_s=max(DEFAULT_MARGIN_S, budget * 0.05), started=started)

    def remaining(self) -> float:
        return max(0.0, self.started + self.budget_s - self.margin_s - time.monotonic())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def bounded(self, seconds: float) -> float:
        """`seconds`, or what is left if that is less."""
        return min(seconds, self.remaining())

    def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` but never past the deadline; raise once it has passed."""
        if self.expired():
            raise DeadlineExceeded(f"deadline of {self.budget_s:.1f}s reached")
        time.sleep(self.bounded(seconds))

    def wait_for(self, condition, interval: float = 0.1, what: str = "condition"):
        """Poll `condition()` until it returns something truthy; DeadlineExceeded at the end."""
        while True:
            result = condition()
            if result:
                return result
            if self.expired():
                raise DeadlineExceeded(f"{what} not reached within {self.elapsed():.1f}s")
            time.sleep(self.bounded(interval))
