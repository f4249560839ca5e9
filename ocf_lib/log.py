"""Logging the way resource agents log under Pacemaker.

Like ocf-shellfuncs' ha_log: to syslog when `HA_LOGFACILITY` names a facility, appended to
`HA_LOGFILE` when set, debug lines to `HA_DEBUGLOG` (else the same places) only with `HA_debug=1`.
When neither syslog nor a log file is configured (a person running the agent by hand), lines go to
stderr so nothing is silently dropped. Every line carries the agent and resource id.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO


DEBUG, INFO, WARNING, ERROR = "DEBUG", "INFO", "WARNING", "ERROR"

_SYSLOG_PRIORITIES = {DEBUG: 7, INFO: 6, WARNING: 4, ERROR: 3}
_FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
    "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
    **{f"local{n}": 16 + n for n in range(8)},
}


class Logger:
    def __init__(self, agent_name: str, instance: str, environ: Mapping[str, str] | None = None,
                 stderr: TextIO | None = None) -> None:
        env = os.environ if environ is None else environ
        self.tag = f"{agent_name}({instance})[{os.getpid()}]"
        facility = env.get("HA_LOGFACILITY", "").strip().lower()
        self.facility = _FACILITIES.get(facility) if facility not in ("", "none") else None
        self.logfile = env.get("HA_LOGFILE") or None
        self.debuglog = env.get("HA_DEBUGLOG") or None
        self.debug_enabled = env.get("HA_debug", "0").strip().lower() in ("1", "yes", "true", "on")
        self._stderr = stderr
        self._syslog_open = False

    @property
    def stderr(self) -> TextIO:
        return self._stderr if self._stderr is not None else sys.stderr

    def debug(self, message: str) -> None:
        if self.debug_enabled:
            self._emit(DEBUG, message)

    def info(self, message: str) -> None:
        self._emit(INFO, message)

    def warning(self, message: str) -> None:
        self._emit(WARNING, message)

    def error(self, message: str) -> None:
        self._emit(ERROR, message)

    def exception(self, message: str) -> None:
        """An error with the current exception's traceback, one log line per traceback line."""
        import traceback

        self.error(message)
        for line in traceback.format_exc().rstrip().splitlines():
            self._emit(ERROR, line)

    def _emit(self, level: str, message: str) -> None:
        for line in (message.splitlines() or [""]):
            self._emit_line(level, line)

    def _emit_line(self, level: str, line: str) -> None:
        delivered = False
        if self.facility is not None:
            self._syslog(level, line)
            delivered = True
        target = self.debuglog if level == DEBUG and self.debuglog else self.logfile
        if target:
            delivered = self._append(target, level, line) or delivered
        if not delivered:
            self.stderr.write(f"{self.tag}: {level}: {line}\n")
            self.stderr.flush()

    def _syslog(self, level: str, line: str) -> None:
        import syslog

        if not self._syslog_open:
            syslog.openlog(self.tag, 0, self.facility << 3)
            self._syslog_open = True
        syslog.syslog(_SYSLOG_PRIORITIES[level], f"{level}: {line}")

    def _append(self, path: str, level: str, line: str) -> bool:
        stamp = time.strftime("%Y/%m/%d_%H:%M:%S")
        try:
            with open(path, "a", encoding="utf-8") as log:
                log.write(f"{self.tag}:\t{stamp} {level}: {line}\n")
            return True
        except OSError as err:
            self.stderr.write(f"{self.tag}: cannot write log file {path}: {err}\n")
            return False
