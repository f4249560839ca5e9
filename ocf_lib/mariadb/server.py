"""The mariadbd process: where things live by default, is it running, start it, stop it.

Defaults follow the distribution (resolved at run time, so the metadata stays the same
everywhere): Debian's mariadb-server, or the RHEL family's.
"""

from __future__ import annotations

import os

from ..processes import cmdline, is_alive

DEBIAN_DEFAULTS = {
    "binary": "/usr/sbin/mariadbd",
    "config": "/etc/mysql/my.cnf",
    "datadir": "/var/lib/mysql",
    "socket": "/run/mysqld/mysqld.sock",
    "pid": "/run/mysqld/mysqld.pid",
}
RHEL_DEFAULTS = {
    "binary": "/usr/libexec/mariadbd",
    "config": "/etc/my.cnf",
    "datadir": "/var/lib/mysql",
    "socket": "/var/lib/mysql/mysql.sock",
    "pid": "/run/mariadb/mariadb.pid",
}
# Programs a pid file may name: the server under its current and its old name.
SERVER_NAMES = ("mariadbd", "mysqld")
# Launchers that run the server as their child and restart it when it dies.
LAUNCHER_NAMES = ("mysqld_safe", "mariadbd-safe")


def distribution_defaults(root: str = "/") -> dict[str, str]:
    if os.path.exists(os.path.join(root, "etc/debian_version")):
        return DEBIAN_DEFAULTS
    return RHEL_DEFAULTS


def is_launcher(binary: str) -> bool:
    return os.path.basename(binary) in LAUNCHER_NAMES


def read_pid(pid_file: str) -> int | None:
    try:
        with open(pid_file, encoding="ascii", errors="replace") as handle:
            text = handle.read(32).strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def is_server_process(pid: int, datadir: str) -> bool:
    """A live MariaDB server on this datadir, not a process that reuses a stale pid file's
    number (another server's included): the server works in its datadir, so its current
    directory tells them apart."""
    argv = cmdline(pid)
    if not argv or os.path.basename(argv[0]) not in SERVER_NAMES or not is_alive(pid):
        return False
    try:
        return os.readlink(f"/proc/{pid}/cwd") == os.path.realpath(datadir)
    except OSError:
        return False


def running_pid(pid_file: str, datadir: str) -> int | None:
    pid = read_pid(pid_file)
    return pid if pid is not None and is_server_process(pid, datadir) else None


def server_argv(binary: str, config: str, datadir: str, pid_file: str, socket_path: str,
                user: str, port: int | None, log: str | None,
                extra: list[str]) -> list[str]:
    """The server's command line; --defaults-file must come first."""
    argv = [binary, f"--defaults-file={config}", f"--datadir={datadir}",
            f"--pid-file={pid_file}", f"--socket={socket_path}", f"--user={user}"]
    if port is not None:
        argv.append(f"--port={port}")
    if log:
        argv.append(f"--log-error={log}")
    return argv + extra


def has_system_tables(datadir: str) -> bool:
    """Whether the datadir holds an initialised server (its `mysql` system schema)."""
    return os.path.isdir(os.path.join(datadir, "mysql"))


def failure_lines(*paths: str | None, lines: int = 2) -> str:
    """The server's own words on why it stopped: the last [ERROR] lines of its error log and of
    its captured output (the last lines at all if none says ERROR)."""
    found: list[str] = []
    for path in paths:
        if not path:
            continue
        try:
            with open(path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 8192))
                text = log.read().decode("utf-8", "replace")
        except OSError:
            continue
        found += [line.strip() for line in text.splitlines()[-20:] if line.strip()]
    errors = [line for line in found if "error" in line.lower()]
    chosen = list(dict.fromkeys(errors or found))   # without repeats, in order
    return " | ".join(chosen[-lines:])
