"""Reading a running resource's state: /proc/drbd for the module, then one events2 call.

The cheapest sound source for both versions: /proc/drbd is a file read, and `drbdsetup events2
--now RES` is one process (two on 8.4, where drbdsetup re-executes drbdsetup-84). DRBD 8.4's
events2 carries no resync progress; /proc/drbd adds it.
"""

from __future__ import annotations

from ..codes import OCF_ERR_GENERIC, OCFError
from ..commands import run_command
from .events import parse_events2
from .proc import ProcDrbd, parse_proc_drbd, with_proc_progress
from .state import DrbdResource, Presence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..deadline import Deadline
    from ..log import Logger

PROC_DRBD = "/proc/drbd"


def read_proc() -> ProcDrbd:
    try:
        with open(PROC_DRBD, encoding="utf-8") as proc:
            return parse_proc_drbd(proc.read())
    except FileNotFoundError:
        return parse_proc_drbd(None)


def read_state(name: str, deadline: Deadline, log: Logger) -> DrbdResource:
    proc = read_proc()
    if not proc.loaded:
        return DrbdResource.absent(name, Presence.NOT_LOADED)
    events = run_command(["drbdsetup", "events2", "--now", name], deadline, log)
    if not events.ok:
        raise OCFError(OCF_ERR_GENERIC, f"cannot read the state of {name}: {events.summary()}")
    found = [state for state in parse_events2(events.stdout) if state.name == name]
    state = found[0] if found else DrbdResource.absent(name)
    return state if proc.is_drbd9 else with_proc_progress(state, proc)
