"""The promotion score ocf:linbit:drbd gives a node, as a pure function of its DRBD state.

`adjust_master_score="S0 S1 S2 S3"` (default `0 10 1000 10000`), checked in this order (the
order of `drbd_update_master_score` in drbd-utils 9.22's agent; peers that are diskless clients
are left out when judging peers, as there):

| Situation                                                             | Score     |
|-----------------------------------------------------------------------|-----------|
| not configured / not loaded                                           | deleted   |
| DRBD 9 quorum lost on some volume                                     | deleted   |
| `remove_if_peer_primary`, Secondary, a connected all-UpToDate Primary | deleted   |
| diskless client: Primary with an UpToDate peer, or all peers UpToDate | S3 − 1    |
| diskless client: some peer UpToDate (else: deleted)                   | S2 − 1    |
| all local disks UpToDate, Primary                                     | S3        |
| all local UpToDate, Secondary, some peer disk DUnknown                | S2        |
| all local UpToDate, Secondary, every peer disk known                  | S3        |
| local not all UpToDate, some peer all UpToDate                        | S1        |
| some local disk Attaching / Negotiating                               | unchanged |
| all local disks Consistent (or UpToDate)                              | S0        |
| otherwise: Inconsistent / Outdated / Diskless / Failed …              | deleted   |

Deleted, not −INFINITY: a negative score made Pacemaker stop and start the instance. As in
ocf:linbit:drbd, a score that comes out at 0 or less is deleted too (so with the default S0 = 0,
"Consistent" means no score: no promotion unless constraints decide).
"""

from __future__ import annotations

from ..record import record
from .state import DrbdResource

DEFAULT_SCORES = (0, 10, 1000, 10000)


@record
class ScoreDecision:
    score: int | None        # None: delete the promotion score (unless `unchanged`)
    reason: str
    unchanged: bool = False  # leave whatever score is set: the disk is in transition

    @property
    def delete(self) -> bool:
        return self.score is None and not self.unchanged


def parse_score_setting(text: str) -> tuple[int, int, int, int]:
    """`adjust_master_score`: four non-negative, non-decreasing integers, "S0 S1 S2 S3"."""
    words = text.split()
    if len(words) != 4:
        raise ValueError(f"adjust_master_score needs four numbers (S0 S1 S2 S3), got {len(words)}")
    for word in words:
        if not (word.isascii() and word.isdigit()):
            raise ValueError(f"adjust_master_score: {word!r} is not a non-negative integer")
    s0, s1, s2, s3 = (int(word) for word in words)
    for lower, higher in ((s0, s1), (s1, s2), (s2, s3)):
        if higher < lower:
            raise ValueError(f"adjust_master_score must not decrease: {lower} before {higher}")
    return s0, s1, s2, s3


def check_score_setting(text: str) -> str:
    """Parameter check for adjust_master_score: the four scores, normalised."""
    return " ".join(str(score) for score in parse_score_setting(text))


def _set(score: int, reason: str) -> ScoreDecision:
    if score <= 0:
        return ScoreDecision(None, f"{reason} (score {score}: deleted)")
    return ScoreDecision(score, reason)


def promotion_score(state: DrbdResource, scores: tuple[int, int, int, int] = DEFAULT_SCORES,
                    remove_if_peer_primary: bool = False) -> ScoreDecision:
    s0, s1, s2, s3 = scores
    if not state.configured:
        return ScoreDecision(None, f"DRBD resource is {state.presence}")
    if state.quorum_lost:
        return ScoreDecision(None, "no quorum")
    if remove_if_peer_primary and not state.is_primary:
        primary = state.healthy_primary_peer()
        if primary is not None:
            return ScoreDecision(None, f"{primary.label} is Primary with UpToDate data")
    if state.diskless_client:
        peer = state.up_to_date_peer()
        if state.all_peers_up_to_date:
            return _set(s3 - 1, "diskless client, every peer UpToDate")
        if state.is_primary and peer is not None:
            return _set(s3 - 1, f"diskless client in Primary role, {peer.label} UpToDate")
        if peer is not None:
            return _set(s2 - 1, f"diskless client, {peer.label} UpToDate")
        return ScoreDecision(None, "diskless client without an UpToDate peer")
    if state.all_local_up_to_date:
        if state.is_primary:
            return _set(s3, "Primary with all local disks UpToDate")
        if state.peer_disk_unknown:
            return _set(s2, "local disks UpToDate, some peer disk state unknown")
        return _set(s3, "local disks UpToDate, every peer disk state known")
    peer = state.up_to_date_peer()
    if peer is not None:
        return _set(s1, f"local disk not UpToDate, {peer.label} UpToDate")
    if state.transitional:
        return ScoreDecision(None, f"local disk in transition ({_disks(state)})", unchanged=True)
    if state.all_local_consistent:
        return _set(s0, "local disks Consistent, maybe stale")
    return ScoreDecision(None, f"no usable local data ({_disks(state)})")


def _disks(state: DrbdResource) -> str:
    return "/".join(d.disk for d in state.devices) or "no volumes"
