"""The one door for running other programs: argv lists only, bounded by the action's deadline.

No shell is ever involved, so a parameter value can never become a command. Output is captured
and logged; secrets must be passed through `stdin_text` or files, never argv.
"""

from __future__ import annotations

from .codes import OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCFError
from .deadline import Deadline
from .log import Logger
from .record import record

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence



@record
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def summary(self) -> str:
        detail = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return f"{self.argv[0]} exited {self.returncode}" + (f": {detail[-1]}" if detail else "")


def run_command(argv: Sequence[str], deadline: Deadline, log: Logger, *,
                stdin_text: str | None = None, env: Mapping[str, str] | None = None,
                max_seconds: float | None = None, check: bool = False) -> CommandResult:
    """Run argv to completion within the deadline (and `max_seconds` if given).

    A command still running when its time is up is killed and OCFError(OCF_ERR_GENERIC) raised;
    a missing program raises OCFError(OCF_ERR_INSTALLED); with `check`, a non-zero exit raises
    OCFError(OCF_ERR_GENERIC) with the command's last line of output as the reason.
    """
    import subprocess

    argv = tuple(argv)
    budget = deadline.remaining() if max_seconds is None else deadline.bounded(max_seconds)
    if budget <= 0:
        raise OCFError(OCF_ERR_GENERIC, f"no time left to run {argv[0]}")
    log.debug(f"running {list(argv)} (within {budget:.1f}s)")
    try:
        completed = subprocess.run(
            argv, input=stdin_text, capture_output=True, text=True, timeout=budget,
            env=dict(env) if env is not None else None,
            stdin=None if stdin_text is not None else subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise OCFError(OCF_ERR_INSTALLED, f"{argv[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise OCFError(OCF_ERR_GENERIC, f"{argv[0]} did not finish within {budget:.1f}s") from None
    result = CommandResult(argv, completed.returncode, completed.stdout, completed.stderr)
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        for line in text.splitlines():
            log.debug(f"{argv[0]} {stream}: {line}")
    if not result.ok:
        log.warning(result.summary())
        if check:
            raise OCFError(OCF_ERR_GENERIC, result.summary())
    return result
