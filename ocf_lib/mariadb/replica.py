"""Replica health from `SHOW SLAVE STATUS`: whether a replica may be promoted, and why not.

ocf:heartbeat:mysql scored replicas whose threads had stopped on an error as if they were
healthy, so broken replicas got promoted (resource-agents issue 1377). Here every error
counts, except the IO thread failing to *reach* its primary: that is what every replica sees
when the primary dies, and its data is then exactly as good as before.
"""

from __future__ import annotations

from ..record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# Client errors of an IO thread that cannot reach or lost its primary (CR_CONN_HOST_ERROR,
# CR_SERVER_GONE_ERROR, CR_SERVER_LOST, CR_UNKNOWN_HOST, CR_CONNECTION_ERROR), and the server
# refusing more connections (ER_CON_COUNT_ERROR).
UNREACHABLE_PRIMARY_ERRNOS = frozenset({2002, 2003, 2005, 2006, 2013, 1040})
# ER_MASTER_FATAL_ERROR_READING_BINLOG: the primary lacks the GTIDs this replica asks for
# (it wrote transactions the primary never had, or the primary purged them).
DIVERGED_ERRNO = 1236


@record
class ReplicaStatus:
    primary_host: str
    primary_port: int
    io_running: str          # Yes, No, Connecting
    sql_running: str         # Yes, No
    io_errno: int
    io_error: str
    sql_errno: int
    sql_error: str
    seconds_behind: int | None
    gtid_io_pos: str
    using_gtid: str

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> ReplicaStatus:
        def text(key: str) -> str:
            value = row.get(key)
            return "" if value is None else str(value)

        def number(key: str) -> int:
            try:
                return int(row.get(key) or 0)
            except (TypeError, ValueError):
                return 0

        behind = row.get("Seconds_Behind_Master")
        return cls(
            primary_host=text("Master_Host"), primary_port=number("Master_Port"),
            io_running=text("Slave_IO_Running"), sql_running=text("Slave_SQL_Running"),
            io_errno=number("Last_IO_Errno"), io_error=text("Last_IO_Error"),
            sql_errno=number("Last_SQL_Errno"), sql_error=text("Last_SQL_Error"),
            seconds_behind=None if behind in (None, "") else int(behind),
            gtid_io_pos=text("Gtid_IO_Pos"), using_gtid=text("Using_Gtid"))

    @property
    def diverged(self) -> bool:
        return self.io_errno == DIVERGED_ERRNO

    def problem(self, max_lag: int) -> str | None:
        """Why this replica must not be promoted, or None if it may be."""
        if self.sql_errno or (self.sql_running != "Yes" and self.sql_error):
            return f"replication SQL thread error {self.sql_errno}: {self.sql_error}"
        if self.sql_running != "Yes":
            return "replication SQL thread is not running"
        if self.io_errno and self.io_errno not in UNREACHABLE_PRIMARY_ERRNOS:
            return f"replication IO thread error {self.io_errno}: {self.io_error}"
        if self.io_running == "No" and not self.io_errno:
            return "replication IO thread is stopped"
        if self.seconds_behind is not None and self.seconds_behind > max_lag:
            return (f"replica lags {self.seconds_behind}s behind its primary "
                    f"(max_slave_lag={max_lag})")
        return None

    @property
    def stopped_cleanly(self) -> bool:
        """Both threads stopped without an error: a server started with --skip-slave-start,
        or replication stopped on purpose."""
        return self.io_running == "No" and self.sql_running == "No" and \
            not self.io_errno and not self.sql_errno

    @property
    def primary_unreachable(self) -> bool:
        return self.io_errno in UNREACHABLE_PRIMARY_ERRNOS or self.io_running == "Connecting"
