"""SQL sessions over PyMySQL: the local server on its unix socket, a peer over TCP.

Credentials go into the connection, never onto a command line or into a log. PyMySQL is
imported only by the actions that run SQL, and without the two modules a plain session never
uses: TLS (`ssl`) is off (setting up a context costs 20–40 ms per connect, and a local socket
needs none) and `cryptography` only serves the RSA key exchange of MySQL's sha256 password
plugins, which MariaDB does not use. Leaving them out halves PyMySQL's import time; its
`traceback` (debug output only) loads when first used.
"""

from __future__ import annotations

import sys

from ..codes import OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCFError
from ..deadline import Deadline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

UNUSED_BY_PLAIN_SESSIONS = ("ssl", "cryptography")
# Imported by PyMySQL at load time but used only to print debugging tracebacks: loaded when
# something first uses it (about 3 ms a monitor never needs).
USED_ON_ERROR_PATHS = ("traceback",)


class _LoadedOnFirstUse:
    """Stands in for a module in sys.modules until an attribute of it is wanted."""

    def __init__(self, name: str) -> None:
        self.__name__ = name
        self.__spec__ = None   # what the import system looks up: answered without loading

    def __getattr__(self, attribute: str):
        import importlib

        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


def pymysql() -> ModuleType:
    if "pymysql" not in sys.modules:
        for name in UNUSED_BY_PLAIN_SESSIONS:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]
        for name in USED_ON_ERROR_PATHS:
            sys.modules.setdefault(name, _LoadedOnFirstUse(name))  # type: ignore[arg-type]
    from ..imports import import_from_site_packages

    try:
        return import_from_site_packages("pymysql")
    except ImportError:
        raise OCFError(OCF_ERR_INSTALLED, "PyMySQL is not installed (python3-pymysql)") from None


class Session:
    """One connection; every statement bounded by the deadline (PyMySQL socket timeouts)."""

    def __init__(self, connection, where: str) -> None:
        self.connection = connection
        self.where = where

    def execute(self, query: str, args: Sequence | None = None) -> list[tuple]:
        driver = pymysql()
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(query, args)
                return list(cursor.fetchall())
        except driver.err.MySQLError as err:
            raise OCFError(OCF_ERR_GENERIC, f"{self.where}: {describe(err)}") from None

    def value(self, query: str, args: Sequence | None = None):
        rows = self.execute(query, args)
        return rows[0][0] if rows else None

    def row(self, query: str) -> dict | None:
        """The first row as {column: value}, or None."""
        driver = pymysql()
        try:
            with self.connection.cursor(driver.cursors.DictCursor) as cursor:
                cursor.execute(query)
                return cursor.fetchone()
        except driver.err.MySQLError as err:
            raise OCFError(OCF_ERR_GENERIC, f"{self.where}: {describe(err)}") from None

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # closing a broken connection has nothing left to report
            pass

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def describe(err: Exception) -> str:
    """`(1045, "Access denied …")` → `error 1045: Access denied …`."""
    args = getattr(err, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return f"error {args[0]}: {args[1]}"
    return str(err) or type(err).__name__


def error_number(err: OCFError) -> int | None:
    """The server's error number in a reason made by `describe`."""
    marker = err.reason.find("error ")
    digits = err.reason[marker + 6:].split(":")[0] if marker >= 0 else ""
    return int(digits) if digits.isdigit() else None


def _timeouts(deadline: Deadline, cap: float) -> dict[str, int]:
    seconds = max(1, int(deadline.bounded(cap)))
    return {"connect_timeout": seconds, "read_timeout": seconds, "write_timeout": seconds}


def connect_local(socket_path: str, user: str, password: str | None,
                  deadline: Deadline, cap: float = 30.0) -> Session:
    """The local server over its unix socket. An empty password lets root in by unix_socket
    authentication (MariaDB's default for root@localhost)."""
    driver = pymysql()
    if deadline.expired():
        raise OCFError(OCF_ERR_GENERIC, "no time left to connect to the server")
    try:
        connection = driver.connect(unix_socket=socket_path, user=user, password=password or "",
                                    ssl_disabled=True, autocommit=True, charset="utf8mb4",
                                    **_timeouts(deadline, cap))
    except driver.err.MySQLError as err:
        raise OCFError(OCF_ERR_GENERIC, f"cannot connect to {socket_path}: {describe(err)}") \
            from None
    return Session(connection, socket_path)


def connect_remote(host: str, port: int, user: str, password: str | None,
                   deadline: Deadline, cap: float = 10.0) -> Session:
    """A peer server over TCP (the Promoted instance a replica is about to follow)."""
    driver = pymysql()
    if deadline.expired():
        raise OCFError(OCF_ERR_GENERIC, f"no time left to connect to {host}:{port}")
    where = f"{host}:{port}"
    try:
        connection = driver.connect(host=host, port=port, user=user, password=password or "",
                                    ssl_disabled=True, autocommit=True, charset="utf8mb4",
                                    **_timeouts(deadline, cap))
    except driver.err.MySQLError as err:
        raise OCFError(OCF_ERR_GENERIC, f"cannot connect to {where}: {describe(err)}") from None
    return Session(connection, where)
