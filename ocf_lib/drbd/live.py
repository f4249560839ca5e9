"""Reading a running resource's state, from the cheapest sound source.

DRBD 9: /proc/drbd for the module, then `drbdsetup events2 --now RES` (one process).
DRBD 8.4: /proc/drbd carries every state field per minor, but no resource names: once events2
has told which minors make up the resource (remembered in a state file), a monitor reads
/proc/drbd alone and spawns nothing. Whenever a remembered minor is missing, events2 decides.
"""

from __future__ import annotations

from ..codes import OCF_ERR_GENERIC, OCFError
from ..commands import run_command
from .events import parse_events2
from .proc import UNCONFIGURED, ProcDrbd, parse_proc_drbd, with_proc_progress
from .state import DrbdResource, Presence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..deadline import Deadline
    from ..log import Logger
    from ..statefile import StateFile

PROC_DRBD = "/proc/drbd"


def read_proc() -> ProcDrbd:
    try:
        with open(PROC_DRBD, encoding="utf-8") as proc:
            return parse_proc_drbd(proc.read())
    except FileNotFoundError:
        return parse_proc_drbd(None)


def read_state(name: str, deadline: Deadline, log: Logger,
               minors: StateFile | None = None) -> DrbdResource:
    """The resource's state; `minors` remembers an 8.4 resource's minors between calls."""
    proc = read_proc()
    if not proc.loaded:
        return DrbdResource.absent(name, Presence.NOT_LOADED)
    if not proc.is_drbd9 and minors is not None:
        remembered = _remembered_minors(minors)
        configured = {m.minor for m in proc.minors if m.cstate != UNCONFIGURED}
        if remembered and remembered <= configured:
            return proc.resource(name, remembered)
    events = run_command(["drbdsetup", "events2", "--now", name], deadline, log)
    if not events.ok:
        raise OCFError(OCF_ERR_GENERIC, f"cannot read the state of {name}: {events.summary()}")
    found = [state for state in parse_events2(events.stdout) if state.name == name]
    state = found[0] if found else DrbdResource.absent(name)
    if proc.is_drbd9:
        return state
    if minors is not None and state.configured:
        minors.write(" ".join(str(device.minor) for device in state.devices) + "\n")
    return with_proc_progress(state, proc)


def _remembered_minors(minors: StateFile) -> set[int]:
    try:
        return {int(word) for word in (minors.read() or "").split()}
    except ValueError:
        return set()
