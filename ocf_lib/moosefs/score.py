"""Which metalogger copy may become the master: only the freshest, never none at all.

Every Unpromoted instance publishes its local metadata version (the version `mfsmaster -a`
would restore to); the Promoted one publishes none (its copy is the live master's). A staler copy
would lose the changes it lacks, so it gets no score while a fresher one is in the cluster; when
that node leaves, Pacemaker drops its attribute and the next freshest copy scores.
"""

from __future__ import annotations

from ..record import record

FRESHEST_SCORE = 1000


@record
class ScoreDecision:
    score: int | None      # None: delete the score (never promote this copy)
    reason: str
    fresher_peer: str | None = None


def freshest_peer(published: dict[str, str], me: str) -> tuple[str, int] | None:
    """(node, version) of the peer with the highest published version, or None."""
    versions = [(int(value), node) for node, value in published.items()
                if node != me and value.isdigit()]
    if not versions:
        return None
    version, node = max(versions)
    return node, version


def promotion_decision(mine: int | None, published: dict[str, str], me: str) -> ScoreDecision:
    if mine is None:
        return ScoreDecision(None, "no metadata here")
    peer = freshest_peer(published, me)
    if peer is not None and peer[1] > mine:
        return ScoreDecision(None, f"{peer[0]} holds fresher metadata (version {peer[1]} > "
                                   f"{mine})", peer[0])
    return ScoreDecision(FRESHEST_SCORE, f"the freshest copy (version {mine})")
