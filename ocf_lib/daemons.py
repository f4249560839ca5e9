"""Starting service daemons from an agent without hanging the action or tying them to it.

Two pitfalls every service agent meets:
- a daemon that inherits the agent's stdout/stderr pipes keeps the action "running" until
  Pacemaker's timeout (the pipe never closes), so daemons get /dev/null or a log file, never a pipe;
- Pacemaker kills the action's whole process group at timeout, so a daemon that must outlive
  the action starts in a session of its own.
"""

from __future__ import annotations

import os

from .codes import OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCFError
from .deadline import Deadline
from .log import Logger
from .record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


@record
class DaemonLaunch:
    """What `run_daemonizing` saw: the launcher's exit code and what it printed (from a file)."""

    argv: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def summary(self) -> str:
        lines = self.output.strip().splitlines()
        return f"{self.argv[0]} exited {self.returncode}" + (f": {lines[-1]}" if lines else "")


def _open_output(output_path: str | None) -> int:
    if output_path is None:
        return os.open(os.devnull, os.O_WRONLY)
    os.makedirs(os.path.dirname(output_path) or ".", exist_ok=True)
    return os.open(output_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def spawn_daemon(argv: Sequence[str], log: Logger, *, output_path: str | None = None,
                 env: Mapping[str, str] | None = None, cwd: str | None = None,
                 user: str | None = None) -> int:
    """Start a foreground daemon (one that does not fork itself) detached; return its pid.

    stdin is /dev/null; stdout and stderr go to `output_path` (appended, 0600) or /dev/null. The
    caller decides what "ready" means and waits for it with its deadline.
    """
    import subprocess

    argv = tuple(argv)
    output = _open_output(output_path)
    try:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                                 start_new_session=True, close_fds=True, cwd=cwd, user=user,
                                 env=dict(env) if env is not None else None)
    except FileNotFoundError:
        raise OCFError(OCF_ERR_INSTALLED, f"{argv[0]} is not installed") from None
    except (OSError, subprocess.SubprocessError) as err:
        raise OCFError(OCF_ERR_GENERIC, f"cannot start {argv[0]}: {err}") from None
    finally:
        os.close(output)
    log.info(f"started {argv[0]} as pid {child.pid}")
    return child.pid


def run_daemonizing(argv: Sequence[str], deadline: Deadline, log: Logger, *,
                    max_seconds: float | None = None,
                    env: Mapping[str, str] | None = None) -> DaemonLaunch:
    """Run a program that forks a daemon and exits (rpc.statd, mfsmaster start, ganesha.nfsd).

    Its output goes through a temporary file rather than a pipe, because the forked daemon
    keeps inherited descriptors open and a pipe would never reach end-of-file. The launcher gets
    a session of its own so the daemon survives Pacemaker killing the action's process group.
    """
    import subprocess
    import tempfile

    argv = tuple(argv)
    budget = deadline.remaining() if max_seconds is None else deadline.bounded(max_seconds)
    if budget <= 0:
        raise OCFError(OCF_ERR_GENERIC, f"no time left to run {argv[0]}")
    log.debug(f"running {list(argv)} (within {budget:.1f}s)")
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as output:
        try:
            completed = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=output,
                                       stderr=output, start_new_session=True, timeout=budget,
                                       env=dict(env) if env is not None else None)
        except FileNotFoundError:
            raise OCFError(OCF_ERR_INSTALLED, f"{argv[0]} is not installed") from None
        except subprocess.TimeoutExpired:
            raise OCFError(OCF_ERR_GENERIC,
                           f"{argv[0]} did not finish within {budget:.1f}s") from None
        output.seek(0)
        launch = DaemonLaunch(argv, completed.returncode, output.read())
    for line in launch.output.splitlines():
        log.debug(f"{argv[0]}: {line}")
    if not launch.ok:
        log.warning(launch.summary())
    return launch
