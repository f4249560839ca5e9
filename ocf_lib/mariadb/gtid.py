"""GTID positions (`0-1-100,1-2-7`): parsing, comparing, and finding transactions one server has
that another lacks.

A position holds the last GTID of each replication domain: domain-server_id-sequence. With one
writer at a time (gtid_strict_mode), sequences in a domain only grow, so comparing positions is
comparing sequences domain by domain.
"""

from __future__ import annotations

from ..record import record


@record
class Gtid:
    domain: int
    server_id: int
    sequence: int

    def __str__(self) -> str:
        return f"{self.domain}-{self.server_id}-{self.sequence}"


def parse_position(text: str | None) -> dict[int, Gtid]:
    """`0-1-100,1-2-7` → {0: Gtid(0, 1, 100), 1: Gtid(1, 2, 7)}; ValueError if malformed."""
    position: dict[int, Gtid] = {}
    for item in (text or "").replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split("-")
        if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
            raise ValueError(f"not a GTID: {item!r}")
        gtid = Gtid(*(int(part) for part in parts))
        if gtid.domain in position:
            raise ValueError(f"domain {gtid.domain} appears twice in {text!r}")
        position[gtid.domain] = gtid
    return position


def format_position(position: dict[int, Gtid]) -> str:
    return ",".join(str(position[domain]) for domain in sorted(position))


def merge(*positions: dict[int, Gtid]) -> dict[int, Gtid]:
    """The furthest GTID of every domain over several positions (e.g. applied and received)."""
    merged: dict[int, Gtid] = {}
    for position in positions:
        for domain, gtid in position.items():
            if domain not in merged or gtid.sequence > merged[domain].sequence:
                merged[domain] = gtid
    return merged


def is_behind(mine: dict[int, Gtid], other: dict[int, Gtid]) -> bool:
    """True when `other` holds transactions `mine` does not (some domain further along)."""
    return any(gtid.sequence > mine[domain].sequence if domain in mine else gtid.sequence > 0
               for domain, gtid in other.items())


def missing_from(mine: dict[int, Gtid], primary: dict[int, Gtid]) -> list[Gtid]:
    """The last GTID of every domain where `mine` went further than `primary`: transactions
    this server wrote (or received) that the primary never had. Non-empty means diverged: a
    replica must never be rewired onto that primary, it needs a rebuild."""
    extra = []
    for domain, gtid in sorted(mine.items()):
        theirs = primary.get(domain)
        if gtid.sequence > 0 and (theirs is None or gtid.sequence > theirs.sequence):
            extra.append(gtid)
    return extra
