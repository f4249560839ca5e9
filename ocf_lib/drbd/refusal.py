"""The one line that says why drbdadm/drbdsetup refused, out of their several lines of output.

drbdadm ends with "Command 'drbdsetup-84 primary 0' terminated with exit code 11"; the reason an
admin needs ("State change failed: (-1) Multiple primaries not allowed by config") comes before.
"""

from __future__ import annotations

_MARKERS = ("State change failed:", "Failure:", "not defined in your config")


def refusal_reason(output: str) -> str | None:
    """The first line carrying DRBD's own reason, without the minor/resource prefix."""
    for line in output.splitlines():
        for marker in _MARKERS:
            at = line.find(marker)
            if at >= 0:
                reason = line[at:] if marker != _MARKERS[2] else line
                return reason.replace("State change failed: ", "").strip()
    return None
