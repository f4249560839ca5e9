"""Start, stop and check the probe listener daemon (ocf_lib.probe_listener) from an agent."""

from __future__ import annotations

import _socket
import os
import sys

from . import processes
from .codes import OCF_ERR_GENERIC, OCFError
from .deadline import Deadline, DeadlineExceeded
from .log import Logger
from .record import record
from .statefile import StateFile

# The daemon reports through a one-line status file: `<pid> <listening|withheld|failed> <detail>`.
LISTENING, WITHHELD, FAILED = "listening", "withheld", "failed"
MODULE = "ocf_lib.probe_listener"
# Started as `python3 -I -S -c BOOTSTRAP LIBDIR ARGS…`: no helper executable in the provider dir.
BOOTSTRAP = ("import sys; sys.path.insert(0, sys.argv[1]); "
             f"from {MODULE} import main; main(sys.argv[2:])")


@record
class ListenerStatus:
    pid: int
    state: str
    detail: str

    @classmethod
    def parse(cls, text: str | None) -> ListenerStatus | None:
        if not text:
            return None
        pid_text, _, rest = text.strip().partition(" ")
        state, _, detail = rest.partition(" ")
        try:
            return cls(int(pid_text), state, detail)
        except ValueError:
            return None

    def line(self) -> str:
        return f"{self.pid} {self.state} {self.detail}\n"


def listener_argv(libdir: str, status_path: str, port: int, bind: str | None,
                  health_tcp: str | None, health_command: str | None,
                  health_interval: int, health_timeout: int) -> list[str]:
    argv = [sys.executable, "-I", "-S", "-c", BOOTSTRAP, libdir,
            "--status-file", status_path, "--port", str(port),
            "--health-interval", str(health_interval), "--health-timeout", str(health_timeout)]
    if bind:
        argv += ["--bind", bind]
    if health_tcp:
        argv += ["--health-tcp", health_tcp]
    if health_command:
        argv += ["--health-command", health_command]
    return argv


STARTUP_SECONDS = 5.0
TERM_GRACE_SECONDS = 2.0
LIBDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@record
class ListenerState:
    running: bool
    failure: str | None = None    # needs recovery: died, or does not accept
    degraded: str | None = None   # withheld because the health check fails


class ListenerControl:
    def __init__(self, status_file: StateFile, log: Logger) -> None:
        self.status_file = status_file
        self.log = log

    def _ours(self, status: ListenerStatus) -> bool:
        """Alive, and really our listener (a recycled pid is not)."""
        argv = processes.cmdline(status.pid) if processes.is_alive(status.pid) else []
        return any(MODULE in arg for arg in argv) and self.status_file.path in argv

    def status(self, port: int, bind: str | None) -> ListenerState:
        status = ListenerStatus.parse(self.status_file.read())
        if status is None:
            return ListenerState(False)
        if status.state == FAILED:
            return ListenerState(False, failure=f"probe listener failed: {status.detail}")
        if not self._ours(status):
            return ListenerState(False, failure=f"probe listener (pid {status.pid}) died")
        if status.state == WITHHELD:
            return ListenerState(True, degraded=status.detail)
        target = bind if bind and bind not in ("0.0.0.0", "::") else None
        if not accepts(target, port):
            return ListenerState(True, failure=f"probe listener (pid {status.pid}) does not "
                                               f"accept on port {port}")
        return ListenerState(True)

    def start(self, port: int, bind: str | None, health_tcp: str | None,
              health_command: str | None, health_interval: int, health_timeout: int,
              deadline: Deadline) -> None:
        import subprocess

        current = self.status(port, bind)
        if current.running and current.failure is None:
            return
        self.stop(deadline)
        argv = listener_argv(LIBDIR, self.status_file.path, port, bind, health_tcp,
                             health_command, health_interval, health_timeout)
        os.makedirs(os.path.dirname(self.status_file.path), exist_ok=True)
        # A session of its own: it must outlive this action, and Pacemaker's kill of the
        # action's process group must not take it down.
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True,
                                 close_fds=True)

        def reported() -> ListenerStatus | None:
            status = ListenerStatus.parse(self.status_file.read())
            if status is not None and status.pid == child.pid:
                return status
            if child.poll() is not None:
                return ListenerStatus(child.pid, FAILED, f"exited {child.returncode} at start")
            return None

        try:
            status = Deadline(deadline.bounded(STARTUP_SECONDS), margin_s=0).wait_for(
                reported, interval=0.02, what="probe listener start")
        except DeadlineExceeded:
            processes.terminate(child.pid, deadline, TERM_GRACE_SECONDS)
            raise OCFError(OCF_ERR_GENERIC, "probe listener did not report within "
                                            f"{STARTUP_SECONDS:g}s") from None
        if status.state == FAILED:
            self.status_file.remove()
            raise OCFError(OCF_ERR_GENERIC, f"probe listener failed: {status.detail}")
        self.log.info(f"probe listener pid {child.pid}: {status.state} {status.detail}")
        if status.state not in (LISTENING, WITHHELD):
            raise OCFError(OCF_ERR_GENERIC, f"probe listener reports {status.state!r}")

    def stop(self, deadline: Deadline) -> None:
        status = ListenerStatus.parse(self.status_file.read())
        if status is not None and self._ours(status):
            if not processes.terminate(status.pid, deadline, TERM_GRACE_SECONDS):
                raise OCFError(OCF_ERR_GENERIC, f"probe listener pid {status.pid} survived "
                                                f"SIGKILL")
            self.log.info(f"probe listener pid {status.pid} stopped")
        self.status_file.remove()


def accepts(address: str | None, port: int, timeout: float = 1.0) -> bool:
    """Whether a TCP connect to the listener succeeds (to loopback when it binds everything)."""
    targets = [address] if address else ["127.0.0.1", "::1"]
    for target in targets:
        family = _socket.AF_INET6 if ":" in target else _socket.AF_INET
        probe = _socket.socket(family, _socket.SOCK_STREAM)
        probe.settimeout(timeout)
        try:
            probe.connect((target, port))
            return True
        except OSError:
            continue
        finally:
            probe.close()
    return False
