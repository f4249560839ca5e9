"""Real MariaDB servers for tests: each with a private my.cnf, datadir, socket and port.

`MariaDB(base, name, server_id)` lays out a server under `base/name`: `my.cnf`, `data/` (made
by `mariadb-install-db --defaults-file=…`), `run/` for the socket and pid file. The agent
manages the server through `params()`; tests can also start and stop it directly. Ports are
picked free at run time; `bind-address` is 127.0.0.1 unless the server lives in a namespace
with an address of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import pymysql

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "/usr/bin/mariadb-install-db"
USER = "mysql"
REPLICATION_USER = "repl"
# Base configuration of every lab server: GTID replication ready, semi-synchronous with
# AFTER_SYNC so a commit is acknowledged only once a replica holds it in its relay log.
REPLICATION_SETTINGS = {
    "log-bin": "mariadb-bin",
    "log-slave-updates": "ON",
    "binlog-format": "ROW",
    "gtid-strict-mode": "ON",
    "rpl-semi-sync-master-enabled": "ON",
    "rpl-semi-sync-slave-enabled": "ON",
    "rpl-semi-sync-master-wait-point": "AFTER_SYNC",
    "rpl-semi-sync-master-timeout": "10000",
    "slave-net-timeout": "5",
}
SMALL_SERVER = {
    "innodb-buffer-pool-size": "16M",
    "innodb-log-file-size": "8M",
    "performance-schema": "OFF",
    "skip-name-resolve": "ON",
    "max-connections": "40",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lab_directory(prefix: str = "pyha-mariadb-") -> str:
    """A fresh directory the mysql user can traverse (pytest's tmp_path is root-only)."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    return path


_PRISTINE: list[str] = []


def pristine_datadir() -> str:
    """A datadir fresh from `mariadb-install-db --defaults-file=…`, made on first use and
    removed when the test process exits."""
    if not _PRISTINE:
        import atexit

        base = lab_directory("pyha-mariadb-pristine-")
        atexit.register(shutil.rmtree, base, True)
        server = MariaDB(base, "pristine", 1, settings={})
        server.write_config()
        os.makedirs(server.datadir)
        shutil.chown(server.datadir, USER, USER)
        subprocess.run([INSTALL_DB, f"--defaults-file={server.config}", f"--user={USER}",
                        "--skip-test-db", "--auth-root-authentication-method=socket"],
                       check=True, capture_output=True, timeout=120)
        _PRISTINE.append(server.datadir)
    return _PRISTINE[0]


class MariaDB:
    def __init__(self, base: str, name: str, server_id: int, *, port: int | None = None,
                 bind_address: str = "127.0.0.1",
                 settings: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.server_id = server_id
        self.dir = os.path.join(base, name)
        self.config = os.path.join(self.dir, "my.cnf")
        self.datadir = os.path.join(self.dir, "data")
        self.rundir = os.path.join(self.dir, "run")
        self.socket = os.path.join(self.rundir, "mysqld.sock")
        self.pid_file = os.path.join(self.rundir, "mysqld.pid")
        self.log = os.path.join(self.rundir, "error.log")
        self.port = port or free_port()
        self.bind_address = bind_address
        self.settings = {**SMALL_SERVER, **REPLICATION_SETTINGS, **(settings or {})}
        self._process: subprocess.Popen | None = None

    # Set-up -----------------------------------------------------------------------------------

    def write_config(self) -> None:
        os.makedirs(self.rundir, exist_ok=True)
        lines = ["[mysqld]", f"datadir = {self.datadir}", f"socket = {self.socket}",
                 f"pid-file = {self.pid_file}", f"port = {self.port}",
                 f"bind-address = {self.bind_address}", f"server-id = {self.server_id}",
                 f"log-error = {self.log}",
                 *(f"{key} = {value}" for key, value in self.settings.items()),
                 "[client]", f"socket = {self.socket}", ""]
        with open(self.config, "w") as config:
            config.write("\n".join(lines))
        os.chmod(self.config, 0o644)
        shutil.chown(self.rundir, USER, USER)

    def install(self) -> None:
        """my.cnf and a fresh system database: a copy of one made by mariadb-install-db once
        per test run (a copy takes milliseconds, mariadb-install-db seconds)."""
        self.write_config()
        subprocess.run(["cp", "-a", pristine_datadir(), self.datadir], check=True)

    def params(self, **extra: str) -> dict[str, str]:
        """The agent parameters that manage this server."""
        return {"binary": MARIADBD, "config": self.config, "datadir": self.datadir,
                "socket": self.socket, "pid": self.pid_file, "port": str(self.port),
                "log": self.log, **extra}

    # Direct control (without the agent) -----------------------------------------------------------

    def start(self, netns: str | None = None) -> None:
        argv = [MARIADBD, f"--defaults-file={self.config}", f"--user={USER}"]
        if netns:
            argv = ["ip", "netns", "exec", netns, *argv]
        self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        until = time.monotonic() + timeout
        while True:
            try:
                self.sql("SELECT 1")
                return
            except pymysql.err.OperationalError:
                if time.monotonic() > until:
                    raise AssertionError(f"{self.name} did not answer:\n{self.error_log()}") \
                        from None
                time.sleep(0.05)

    def pid(self) -> int | None:
        try:
            with open(self.pid_file) as pid_file:
                return int(pid_file.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running(self) -> bool:
        """Whether the pid file names a live server working in this datadir. A server started
        inside another PID namespace (a cluster node) writes a pid that means some other
        process here: the datadir check keeps the lab from ever signalling that one."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            with open(f"/proc/{pid}/stat") as stat:
                alive = stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
            return alive and os.readlink(f"/proc/{pid}/cwd") == os.path.realpath(self.datadir)
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash: the pid file stays behind."""
        pid = self.pid()
        if pid is not None and self.running():
            os.kill(pid, signal.SIGKILL)
            until = time.monotonic() + 10
            while self.running() and time.monotonic() < until:
                time.sleep(0.02)
        self._reap()

    def shutdown(self) -> None:
        """Stop the server whatever started it (always safe to call)."""
        pid = self.pid()
        if pid is not None and self.running():
            os.kill(pid, signal.SIGTERM)
            until = time.monotonic() + 30
            while self.running() and time.monotonic() < until:
                time.sleep(0.05)
            if self.running():
                os.kill(pid, signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        if self._process is not None:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None

    # SQL ------------------------------------------------------------------------------------------

    def connect(self, **kwargs) -> pymysql.connections.Connection:
        return pymysql.connect(unix_socket=self.socket, user="root", ssl_disabled=True,
                               connect_timeout=5, autocommit=True, **kwargs)

    def sql(self, query: str, args: Sequence | None = None) -> list[tuple]:
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(query, args)
            return list(cursor.fetchall())

    def value(self, query: str, args: Sequence | None = None):
        rows = self.sql(query, args)
        return rows[0][0] if rows else None

    def replica_status(self) -> dict | None:
        with self.connect(cursorclass=pymysql.cursors.DictCursor) as connection, \
                connection.cursor() as cursor:
            cursor.execute("SHOW SLAVE STATUS")
            return cursor.fetchone()

    def create_replication_user(self, password: str) -> None:
        self.sql(f"CREATE USER IF NOT EXISTS '{REPLICATION_USER}'@'%%' IDENTIFIED BY %s",
                 (password,))
        self.sql(f"GRANT REPLICATION SLAVE, SLAVE MONITOR ON *.* TO '{REPLICATION_USER}'@'%'")

    def error_log(self, lines: int = 30) -> str:
        try:
            with open(self.log, errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except OSError:
            return "(no error log)"


PORT_IN_NAMESPACE = 3306


@contextmanager
def servers(count: int, *, prefix: str = "pyha-mariadb-", addresses: Sequence[str] = (),
            settings: Mapping[str, str] | None = None) -> Iterator[list[MariaDB]]:
    """`count` installed (not started) servers with server ids 1…count; always shut down and
    removed afterwards. With `addresses` (one per server, each in a namespace of its own),
    server N binds addresses[N-1] on port 3306; otherwise 127.0.0.1 on a free port."""
    base = lab_directory(prefix)
    created = [MariaDB(base, f"db{number}", number, settings=settings,
                       port=PORT_IN_NAMESPACE if addresses else None,
                       bind_address=addresses[number - 1] if addresses else "127.0.0.1")
               for number in range(1, count + 1)]
    try:
        for server in created:
            server.install()
        yield created
    finally:
        for server in created:
            server.shutdown()
        shutil.rmtree(base, ignore_errors=True)
