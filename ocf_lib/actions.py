"""Actions declared once: the metadata lines and the dispatch table both come from them."""

from __future__ import annotations

from .record import record

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from typing import Callable, Optional

    Handler = Callable[..., Optional[int]]


ROLES = ("Promoted", "Unpromoted")

# Actions Pacemaker may call before or without the resource's full configuration (and that must
# then still give a truthful answer): stop must never fail for want of a parameter, and a probe
# of an unconfigured resource says "not running".
LENIENT_ACTIONS = ("stop",)

# ocf-tester validates against ra-api-1.dtd, whose action names are an enumeration.
DTD_ACTION_NAMES = frozenset({
    "start", "stop", "recover", "monitor", "restart", "migrate_to", "migrate_from", "promote",
    "demote", "notify", "status", "reload", "meta-data", "usage", "methods", "validate-all",
})



@record
class Action:
    """One `<action>` line of the metadata. Times are seconds."""

    name: str
    timeout: int
    interval: int | None = None
    depth: int | None = None
    role: str | None = None

    def __post_init__(self) -> None:
        if self.name not in DTD_ACTION_NAMES:
            raise ValueError(f"action {self.name!r} is not an OCF action name")
        if self.role is not None and self.role not in ROLES:
            raise ValueError(f"action {self.name}: role must be one of {ROLES}")
        if self.timeout <= 0:
            raise ValueError(f"action {self.name}: timeout must be positive")

    @property
    def attributes(self) -> dict[str, str]:
        attrs = {"name": self.name, "timeout": f"{self.timeout}s"}
        if self.interval is not None:
            attrs["interval"] = f"{self.interval}s"
        if self.depth is not None:
            attrs["depth"] = str(self.depth)
        if self.role is not None:
            attrs["role"] = self.role
        return attrs
