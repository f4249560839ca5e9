"""DRBD state for the drbd agent: pure parsers of every DRBD tool's output, one typed state, and
ocf:linbit:drbd's promotion-score policy.

Which source to read (see tests/data/drbd84 and tests/data/drbd9 for real captures of each):
- `/proc/drbd` → `parse_proc_drbd`: no file means the module is not loaded; the version says
  8.4 or 9. With 8.4 it also carries per-minor state and resync progress.
- `drbdsetup events2 --now <res>` → `parse_events2`: the state source for both versions (what
  ocf:linbit:drbd reads on DRBD 9); DRBD 9 adds quorum, client, may_promote, promotion_score.
- `drbdadm status` / `drbdsetup status` → `parse_status_text`; DRBD 9 `drbdsetup status --json`
  → `parse_status_json`; DRBD 8.4 `drbdsetup sh-status` → `parse_sh_status`.

Modules: `state` (the value types and derived facts), `proc`, `events`, `status` (one source
each), `score` (the promotion policy), `fields` (typed key:value words).
"""

from __future__ import annotations

from . import live
from .events import parse_events2
from .proc import (
    MinorState84,
    ProcDrbd,
    parse_proc_drbd,
    parse_sh_status,
    resource_from_minors,
    split_cstate,
    with_proc_progress,
)
from .refusal import refusal_reason
from .score import (
    DEFAULT_SCORES,
    ScoreDecision,
    check_score_setting,
    parse_score_setting,
    promotion_score,
)
from .state import (
    RESYNC_STATES,
    Connection,
    ConnectionState,
    Device,
    DiskState,
    DrbdResource,
    PeerDevice,
    Presence,
    ReplicationState,
    Role,
    SuspendReason,
)
from .status import parse_status_json, parse_status_text

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "DEFAULT_SCORES",
    "RESYNC_STATES",
    "Connection",
    "ConnectionState",
    "Device",
    "DiskState",
    "DrbdResource",
    "MinorState84",
    "PeerDevice",
    "Presence",
    "ProcDrbd",
    "ReplicationState",
    "Role",
    "ScoreDecision",
    "SuspendReason",
    "check_score_setting",
    "find_resource",
    "live",
    "parse_events2",
    "parse_proc_drbd",
    "parse_score_setting",
    "parse_sh_status",
    "parse_status_json",
    "parse_status_text",
    "promotion_score",
    "refusal_reason",
    "resource_from_minors",
    "split_cstate",
    "with_proc_progress",
]


def find_resource(resources: Iterable[DrbdResource], name: str) -> DrbdResource:
    """The named resource from a parser's result; "not configured" when it is not there."""
    for resource in resources:
        if resource.name == name:
            return resource
    return DrbdResource.absent(name)
