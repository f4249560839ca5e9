"""The MooseFS daemons (mfsmaster, mfsmetalogger) on this node: which one runs, start, a stop
that always ends inside the action's deadline, and the private configuration files they read.
"""

from __future__ import annotations

import os

from ..codes import OCF_ERR_GENERIC, OCFError
from ..commands import run_command
from ..daemons import DaemonLaunch, run_daemonizing
from ..deadline import Deadline
from ..log import Logger
from ..processes import cmdline, is_alive, terminate

MASTER = "mfsmaster"
METALOGGER = "mfsmetalogger"
# What `mfsmaster start` says after a crash: the metadata must be rebuilt from the changelogs.
NEEDS_RECOVERY = "try using option '-a'"
# Kept from the stop budget for TERM and KILL when `mfsmaster stop` gives up on the lock.
SIGNAL_RESERVE_SECONDS = 5.0
TERM_GRACE_SECONDS = 3.0


def lock_path(data_path: str, program: str) -> str:
    return os.path.join(data_path, f".{program}.lock")


def running_pid(data_path: str, program: str) -> int | None:
    """The pid in the daemon's lock file if that process is alive (not a zombie) and is the
    daemon: the lock file stays after a stop, and its pid may since belong to another process."""
    try:
        with open(lock_path(data_path, program), "rb") as lock:
            text = lock.read(32).strip()
    except OSError:
        return None
    if not text.isdigit():
        return None
    pid = int(text)
    if not is_alive(pid):
        return None
    argv = cmdline(pid)
    return pid if argv and os.path.basename(argv[0]) == program else None


# How a MooseFS daemon ends its output when initialisation fails: the lines that say why come
# before these.
GENERIC_FAILURE_LINES = ("error occurred during initialization", "init: ", "no exports defined")


def failure_reason(output: str) -> str:
    """The line of a failed daemon start that says why (the last specific one)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    specific = [line for line in lines if not line.startswith(GENERIC_FAILURE_LINES)]
    return (specific or lines or ["no output"])[-1]


def start(program: str, config_path: str, deadline: Deadline, log: Logger,
          recover: bool = False) -> DaemonLaunch:
    """`PROGRAM [-a] -c CONFIG start`: returns once the daemon has forked and listens."""
    argv = [program, *(["-a"] if recover else []), "-c", config_path, "start"]
    return run_daemonizing(argv, deadline, log)


def stop(program: str, config_path: str | None, data_path: str, deadline: Deadline,
         log: Logger) -> None:
    """Stop the daemon whose lock is in `data_path`, inside the deadline.

    First `PROGRAM -t SECONDS stop` (it saves the metadata) with -t never longer than the time
    left minus a reserve, so a stuck lock cannot hold stop for mfsmaster's default 30 minutes;
    then TERM, then KILL. A master killed this way restarts with `-a` from its changelogs.
    Raises OCFError when the process outlives all of it.
    """
    pid = running_pid(data_path, program)
    if pid is None:
        return
    reserve = min(SIGNAL_RESERVE_SECONDS, deadline.remaining() / 3)
    lock_wait = int(deadline.remaining() - reserve)
    if config_path is not None and lock_wait >= 1:
        try:
            run_command([program, "-c", config_path, "-t", str(lock_wait), "stop"], deadline,
                        log, max_seconds=lock_wait + reserve / 2)
        except OCFError as err:
            log.warning(f"{program} stop: {err.reason}")
    if not is_alive(pid):
        log.info(f"{program} (pid {pid}) stopped")
        return
    log.error(f"{program} (pid {pid}) did not stop within its lock timeout of {lock_wait}s: "
              f"sending TERM, then KILL")
    if not terminate(pid, deadline, TERM_GRACE_SECONDS):
        raise OCFError(OCF_ERR_GENERIC, f"{program} (pid {pid}) survived TERM and KILL")
    log.warning(f"{program} (pid {pid}) was killed; its next start recovers with -a")


def wait_until_gone(data_path: str, program: str, deadline: Deadline) -> None:
    deadline.wait_for(lambda: running_pid(data_path, program) is None, 0.05,
                      f"{program} gone")


def write_private(path: str, text: str) -> None:
    """Write a configuration file readable by root only (it may carry AUTH_CODE), atomically."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as config:
        config.write(text)
    os.replace(temporary, path)


def archive_master_files(data_path: str, stamp: str, log: Logger) -> str | None:
    """Move what a former master left in `data_path` into a subdirectory, so that a later
    `mfsmaster -a` cannot mix a superseded history into the current one. Nothing is deleted."""
    from .metadata import master_files

    names = master_files(os.listdir(data_path))
    if not names:
        return None
    target = os.path.join(data_path, f"pyha-superseded-{stamp}")
    os.makedirs(target, mode=0o750, exist_ok=True)
    for name in names:
        os.replace(os.path.join(data_path, name), os.path.join(target, name))
    log.warning(f"moved {len(names)} file(s) of a former master ({', '.join(names)}) to "
                f"{target}: another node is master now")
    return target
