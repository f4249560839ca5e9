"""The kernel NFS server: nfsd threads through /proc/fs/nfsd, exports through exportfs (etab),
and its daemons (rpcbind, rpc.statd, rpc.mountd, rpc.idmapd, nfsdcld) started directly.

Monitor spawns nothing: daemons from /proc, threads from /proc/fs/nfsd/threads, exports from
/var/lib/nfs/etab (which rpc.mountd answers the kernel's export upcalls from).
"""

from __future__ import annotations

import os
import shutil

from ..codes import OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCFError
from ..commands import run_command
from . import services, statedir, tracked
from .exports import kernel_options, parse_etab

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..deadline import Deadline
    from ..log import Logger
    from .config import NfsConfig

NFSD_FS = "/proc/fs/nfsd"
THREADS = f"{NFSD_FS}/threads"
ETAB = f"{statedir.NFS_STATE_DIR}/etab"
NLM_GRACE = "/proc/sys/fs/nfs/nlm_grace_period"
PROGRAMS = ("rpc.nfsd", "rpc.mountd", "exportfs")
V3_PROGRAMS = ("rpcbind", "rpc.statd", "sm-notify")


def missing_programs(nfsv4_only: bool) -> list[str]:
    wanted = PROGRAMS + (() if nfsv4_only else V3_PROGRAMS)
    return [p for p in wanted if shutil.which(p, path="/usr/sbin:/usr/bin:/sbin:/bin") is None]


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as f:
            return f.read()
    except OSError:
        return None


def thread_count() -> int:
    text = _read(THREADS)
    return int(text) if text and text.strip().isdigit() else 0


def _write(path: str, value: str) -> None:
    with open(path, "w", encoding="ascii") as f:
        f.write(value)


class KernelServer:
    def __init__(self, config: NfsConfig, deadline: Deadline, log: Logger) -> None:
        self.config = config
        self.deadline = deadline
        self.log = log

    def _log_path(self, daemon: str) -> str:
        return self.config.runtime_path(f"{daemon}.log")

    def _daemon_names(self) -> list[str]:
        names = [] if self.config.nfsv4_only else ["rpc.statd"]
        names += ["rpc.mountd"]
        if self._idmapd_wanted():
            names.append("rpc.idmapd")
        if self._nfsdcld_wanted():
            names.append("nfsdcld")
        return names

    @staticmethod
    def _idmapd_wanted() -> bool:
        return shutil.which("rpc.idmapd", path="/usr/sbin:/sbin") is not None

    @staticmethod
    def _nfsdcld_wanted() -> bool:
        return shutil.which("nfsdcld", path="/usr/sbin:/sbin") is not None

    # start ------------------------------------------------------------------------------------

    def start(self, registry: tracked.DaemonRegistry) -> None:
        cfg = self.config
        self._load_nfsd()
        if thread_count() == 0:
            services.refuse_foreign(self._daemon_names(), registry)
        if cfg.infodir:
            statedir.bind(cfg.infodir, self.deadline, self.log)
        statedir.ensure_rpc_pipefs(statedir.pipefs_directory(self.deadline, self.log),
                                   self.deadline, self.log)
        self._set_times()
        if not cfg.nfsv4_only:
            services.ensure_rpcbind(registry, self._log_path("rpcbind"), self.deadline,
                                    self.log)
            services.start_statd(registry, self._log_path("rpc.statd"), self.deadline,
                                 self.log)
        if self._idmapd_wanted():
            services.start_daemon(registry, "rpc.idmapd", ["rpc.idmapd", "-f"],
                                  self._log_path("rpc.idmapd"), self.deadline, self.log)
        if self._nfsdcld_wanted():
            services.start_daemon(registry, "nfsdcld", ["nfsdcld", "-F"],
                                  self._log_path("nfsdcld"), self.deadline, self.log)
        self._export_all()
        mountd = ["rpc.mountd", "-F", *(["-N", "2", "-N", "3"] if cfg.nfsv4_only else [])]
        services.start_daemon(registry, "rpc.mountd", mountd, self._log_path("rpc.mountd"),
                              self.deadline, self.log)
        if thread_count() == 0:
            self._start_threads()

    def _load_nfsd(self) -> None:
        if _is_mounted_type(NFSD_FS, "nfsd"):
            return
        if "nfsd" not in (_read("/proc/filesystems") or ""):
            run_command(["modprobe", "nfsd"], self.deadline, self.log)
        if "nfsd" not in (_read("/proc/filesystems") or ""):
            raise OCFError(OCF_ERR_INSTALLED, "this kernel has no NFS server (nfsd); use "
                                              "backend=ganesha")
        run_command(["mount", "-t", "nfsd", "nfsd", NFSD_FS], self.deadline, self.log,
                    check=True)

    def _set_times(self) -> None:
        """Grace and lease times are writable only while nfsd has no threads (EBUSY otherwise);
        lockd's grace follows the NFSv4 grace so NLM locks are not held back longer."""
        cfg = self.config
        if thread_count() != 0:
            return
        for value, path in ((cfg.grace_time, f"{NFSD_FS}/nfsv4gracetime"),
                            (cfg.lease_time, f"{NFSD_FS}/nfsv4leasetime"),
                            (cfg.grace_time, NLM_GRACE)):
            if value is None:
                continue
            try:
                _write(path, str(value))
            except OSError as err:
                raise OCFError(OCF_ERR_GENERIC, f"cannot set {path} to {value}: "
                                                f"{err.strerror}") from None

    def _export_all(self) -> None:
        """etab came with the state directory from the last node: start from an empty table
        (one nfsserver per node owns /var/lib/nfs), then export each client."""
        # Not -i (which only keeps /etc/exports out of exporting): exportfs refuses it with -a,
        # -r or -u, and unexporting never reads /etc/exports anyway.
        run_command(["exportfs", "-au"], self.deadline, self.log)
        for export in self.config.exports:
            for client in export.clients:
                options = kernel_options(client, self.config.instance, export.directory)
                run_command(["exportfs", "-i", "-o", options,
                             f"{client.spec}:{export.directory}"],
                            self.deadline, self.log, check=True)

    def _start_threads(self) -> None:
        cfg = self.config
        argv = ["rpc.nfsd", *(["-N", "2", "-N", "3"] if cfg.nfsv4_only else []),
                str(cfg.threads)]
        if cfg.scope:
            from .scope import run_with_hostname

            result = run_with_hostname(argv, cfg.scope, self.deadline, self.log)
        else:
            result = run_command(argv, self.deadline, self.log)
        if not result.ok or thread_count() == 0:
            raise OCFError(OCF_ERR_GENERIC, f"nfsd did not start: {result.summary()}")

    # stop -------------------------------------------------------------------------------------

    def stop(self, registry: tracked.DaemonRegistry) -> None:
        if _is_mounted_type(NFSD_FS, "nfsd") and thread_count() > 0:
            result = run_command(["rpc.nfsd", "0"], self.deadline, self.log)
            if thread_count() > 0:
                raise OCFError(OCF_ERR_GENERIC, f"nfsd threads still running: "
                                                f"{result.summary()}")
        self._unexport_all()
        services.stop_notifiers(self.deadline, self.log)
        left = registry.stop_all(self.deadline, self.log)
        if left:
            raise OCFError(OCF_ERR_GENERIC, f"still running after TERM and KILL: "
                                            f"{', '.join(left)}")

    def _unexport_all(self) -> None:
        for export in self.config.exports:
            for client in export.clients:
                run_command(["exportfs", "-u", f"{client.spec}:{export.directory}"],
                            self.deadline, self.log)
            self._unlock(export.directory)
        run_command(["exportfs", "-f"], self.deadline, self.log)

    def _unlock(self, directory: str) -> None:
        """Drop the locks nfsd (NLM and NFSv4) holds on the filesystem, or its unmount fails."""
        path = f"{NFSD_FS}/unlock_filesystem"
        if not os.path.isdir(directory) or not os.path.exists(path):
            return
        try:
            _write(path, directory)
        except OSError as err:
            self.log.warning(f"unlock_filesystem {directory}: {err.strerror}")

    # monitor ----------------------------------------------------------------------------------

    def problem(self) -> str | None:
        """Why the server is not serving every export, or None."""
        if thread_count() == 0:
            return "nfsd has no threads running (rpc.nfsd stopped or the module unloaded)"
        served = parse_etab(_read(ETAB) or "")
        for export in self.config.exports:
            for client in export.clients:
                if (export.directory, client.spec) not in served:
                    return f"{export.directory} is no longer exported to {client.spec}"
        return None


def _is_mounted_type(path: str, fstype: str) -> bool:
    from ..mounts import mount_at

    entry = mount_at(path)
    return entry is not None and entry.fstype == fstype
