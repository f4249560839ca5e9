"""NFS-Ganesha (userspace): one ganesha.nfsd with the configuration the agent writes, its
exports checked over D-Bus (`ShowExports`), plus rpcbind and rpc.statd for NFSv3.

Ganesha starts even when an EXPORT block is wrong (it logs CRIT and leaves the export out), and
its admin tool `ganesha_mgr` exits 0 on errors: so start and monitor ask Ganesha which exports
it really serves, rather than trusting an exit code.
"""

from __future__ import annotations

import os

from ..codes import OCF_ERR_GENERIC, OCFError
from ..commands import run_command
from ..deadline import Deadline
from . import services, statedir, tracked
from .ganesha_config import GaneshaSettings, parse_show_exports, render_config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..log import Logger
    from .config import NfsConfig

SYSTEM_BUS_SOCKET = "/run/dbus/system_bus_socket"
SHOW_EXPORTS = ["dbus-send", "--system", "--print-reply", "--reply-timeout=5000",
                "--dest=org.ganesha.nfsd", "/org/ganesha/nfsd/ExportMgr",
                "org.ganesha.nfsd.exportmgr.ShowExports"]
EXPORTS_LOADED_SECONDS = 2.0
PROGRAMS = ("ganesha.nfsd", "dbus-send")
V3_PROGRAMS = ("rpcbind", "rpc.statd", "sm-notify")


def missing_programs(nfsv4_only: bool) -> list[str]:
    import shutil

    wanted = PROGRAMS + (() if nfsv4_only else V3_PROGRAMS)
    return [p for p in wanted if shutil.which(p, path="/usr/sbin:/usr/bin:/sbin:/bin") is None]


def system_bus_missing() -> str | None:
    """Ganesha takes its runtime commands over the D-Bus system bus, which the OS provides
    (dbus-daemon --system); without it nobody can see what Ganesha exports."""
    address = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS", "")
    if address or os.path.exists(SYSTEM_BUS_SOCKET):
        return None
    return f"the D-Bus system bus is not running ({SYSTEM_BUS_SOCKET} is missing)"


class GaneshaServer:
    def __init__(self, config: NfsConfig, deadline: Deadline, log: Logger) -> None:
        self.config = config
        self.deadline = deadline
        self.log = log
        self.config_path = config.runtime_path("ganesha.conf")

    def _log_path(self, daemon: str) -> str:
        return self.config.runtime_path(f"{daemon}.log")

    def start(self, registry: tracked.DaemonRegistry) -> None:
        cfg = self.config
        known = registry.get("ganesha.nfsd")
        if known is None or not tracked.is_running(known):
            services.refuse_foreign(["ganesha.nfsd"], registry)
        if cfg.infodir:
            statedir.bind(cfg.infodir, self.deadline, self.log)
        if not cfg.nfsv4_only:
            services.ensure_rpcbind(registry, self._log_path("rpcbind"), self.deadline,
                                    self.log)
            services.start_statd(registry, self._log_path("rpc.statd"), self.deadline,
                                 self.log)
        os.makedirs(statedir.NFS_STATE_DIR + "/ganesha", exist_ok=True)
        settings = GaneshaSettings(cfg.nfsv4_only, cfg.grace_time, cfg.lease_time, cfg.scope)
        text = render_config(cfg.instance, cfg.exports, settings)
        with open(self.config_path, "w", encoding="utf-8") as conf:
            conf.write(text)
        log_path = self._log_path("ganesha.nfsd")
        services.start_daemon(
            registry, "ganesha.nfsd",
            ["ganesha.nfsd", "-F", "-f", self.config_path, "-L", log_path,
             "-p", self.config.runtime_path("ganesha.pid"), "-N", "NIV_EVENT"],
            log_path, self.deadline, self.log,
            ready=lambda: self.served_paths(max_seconds=2) is not None, ready_seconds=30)
        self._require_all_exports()

    def _require_all_exports(self) -> None:
        """Ganesha loads its EXPORT blocks at start-up; one it rejected never appears."""
        limit = Deadline(self.deadline.bounded(EXPORTS_LOADED_SECONDS), margin_s=0)
        while (problem := self.problem()) is not None:
            if limit.expired():
                raise OCFError(OCF_ERR_GENERIC, problem)
            limit.sleep(0.1)

    def stop(self, registry: tracked.DaemonRegistry) -> None:
        services.stop_notifiers(self.deadline, self.log)
        left = registry.stop_all(self.deadline, self.log)
        if left:
            raise OCFError(OCF_ERR_GENERIC, f"still running after TERM and KILL: "
                                            f"{', '.join(left)}")

    def served_paths(self, max_seconds: float = 5) -> set[str] | None:
        """The paths Ganesha exports right now, or None when it does not answer on D-Bus."""
        result = run_command(SHOW_EXPORTS, self.deadline, self.log, max_seconds=max_seconds)
        if not result.ok:
            return None
        return set(parse_show_exports(result.stdout).values())

    def _missing_export(self, max_seconds: float = 5) -> str | None:
        served = self.served_paths(max_seconds)
        if served is None:
            return "ganesha.nfsd does not answer ShowExports on D-Bus"
        for export in self.config.exports:
            if export.directory not in served:
                return f"{export.directory} is not exported by ganesha.nfsd"
        return None

    def problem(self) -> str | None:
        missing = self._missing_export()
        if missing and "is not exported" in missing:
            crit = _last_critical(self._log_path("ganesha.nfsd"))
            return f"{missing}{f' ({crit})' if crit else ''}"
        return missing


def _last_critical(log_path: str) -> str:
    """Ganesha's last CRIT line (a rejected EXPORT block says why there), shortened."""
    try:
        with open(log_path, encoding="utf-8", errors="replace") as log:
            lines = [line.strip() for line in log if ":CRIT :" in line]
    except OSError:
        return ""
    return lines[-1].rsplit(":CRIT :", 1)[-1] if lines else ""
