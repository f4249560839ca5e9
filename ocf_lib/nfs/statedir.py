"""The NFS state directory (/var/lib/nfs) on the replicated filesystem.

statd's client list (sm, sm.bak), NFSv4 client recovery (v4recovery, nfsdcld, ganesha),
etab and rmtab must move with the service, or clients lose their locks at a failover. The
agent bind-mounts `nfs_shared_infodir` over /var/lib/nfs, and nothing else ever writes there
while it is mounted. rpc_pipefs, which lives beneath /var/lib/nfs, is mounted again on top of
the bind (resource-agents issue 1300: idmapd broke when the bind hid it).
"""

from __future__ import annotations

import os

from .. import mounts
from ..codes import OCF_ERR_GENERIC, OCFError
from ..commands import run_command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..deadline import Deadline
    from ..log import Logger

NFS_STATE_DIR = "/var/lib/nfs"
RPC_PIPEFS = f"{NFS_STATE_DIR}/rpc_pipefs"
STATD_DIRS = ("sm", "sm.bak")
OTHER_DIRS = ("v4recovery", "nfsdcld", "ganesha", "rpc_pipefs")
FILES = ("etab", "rmtab")


def _statd_owner() -> tuple[int, int] | None:
    """statd drops root for the owner of its directory: Debian's `statd` user."""
    import pwd

    try:
        entry = pwd.getpwnam("statd")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def prepare_layout(infodir: str) -> None:
    """Create what the daemons expect in a fresh (or another distribution's) state directory."""
    os.makedirs(infodir, mode=0o755, exist_ok=True)
    owner = _statd_owner()
    for name in STATD_DIRS + OTHER_DIRS:
        os.makedirs(os.path.join(infodir, name), mode=0o755, exist_ok=True)
    for name in FILES:
        with open(os.path.join(infodir, name), "a", encoding="utf-8"):
            pass
    if owner is not None:
        for name in (*STATD_DIRS, "state"):
            path = os.path.join(infodir, name)
            if name == "state" and not os.path.exists(path):
                continue
            os.chown(path, *owner)


def bound_here(infodir: str, entries: list[mounts.MountEntry] | None = None) -> bool:
    """Whether the mount on /var/lib/nfs is a bind of `infodir` (same filesystem, same path)."""
    entries = mounts.mounts() if entries is None else entries
    top = mounts.mount_at(NFS_STATE_DIR, entries)
    if top is None:
        return False
    try:
        home = mounts.mount_containing(infodir, entries)
    except ValueError:
        return False
    real = os.path.realpath(infodir)
    inside = real[len(home.mountpoint.rstrip("/")):] or "/"
    expected_root = (home.root.rstrip("/") + inside) if home.root != "/" else inside
    return top.device == home.device and top.root == expected_root


def bind(infodir: str, deadline: Deadline, log: Logger) -> None:
    """Bind `infodir` over /var/lib/nfs (idempotent). Another filesystem already mounted there
    is refused: stop would have to unmount it too."""
    prepare_layout(infodir)
    if not bound_here(infodir):
        other = mounts.mount_at(NFS_STATE_DIR)
        if other is not None:
            raise OCFError(OCF_ERR_GENERIC, f"{NFS_STATE_DIR} already has {other.source} "
                                            f"({other.fstype}) mounted; unmount it first")
        run_command(["mount", "--bind", infodir, NFS_STATE_DIR], deadline, log, check=True)


def pipefs_directory(deadline: Deadline, log: Logger) -> str:
    """Where this distribution's nfs-utils expects rpc_pipefs (Debian: /run/rpc_pipefs,
    Red Hat: /var/lib/nfs/rpc_pipefs), from nfs.conf."""
    result = run_command(["nfsconf", "--get", "general", "pipefs-directory"], deadline, log)
    path = result.stdout.strip()
    return path if result.ok and path.startswith("/") else RPC_PIPEFS


def ensure_rpc_pipefs(path: str, deadline: Deadline, log: Logger) -> None:
    """rpc_pipefs mounted at `path`; beneath /var/lib/nfs that means on top of the bind."""
    if _pipefs_mounted(path):
        return
    os.makedirs(path, exist_ok=True)
    run_command(["mount", "-t", "rpc_pipefs", "sunrpc", path], deadline, log, check=True)


def _pipefs_mounted(path: str) -> bool:
    entries = mounts.mounts()
    pipefs = mounts.mount_at(path, entries)
    if pipefs is None or pipefs.fstype != "rpc_pipefs":
        return False
    if not path.startswith(NFS_STATE_DIR + "/"):
        return True
    state = mounts.mount_at(NFS_STATE_DIR, entries)
    return state is None or pipefs.parent_id == state.mount_id


def release(infodir: str, deadline: Deadline, log: Logger) -> None:
    """Undo `bind`: an rpc_pipefs mounted on top of it first, then the bind. Processes still
    holding files there are stopped (TERM, then KILL) by mounts.unmount, which fails naming
    them if that is not enough: a stop that leaves the state directory mounted must not report
    success."""
    if not bound_here(infodir):
        return
    if _pipefs_mounted(RPC_PIPEFS) and mounts.mount_at(RPC_PIPEFS).parent_id == \
            mounts.mount_at(NFS_STATE_DIR).mount_id:
        mounts.unmount(RPC_PIPEFS, deadline, log)
    mounts.unmount(NFS_STATE_DIR, deadline, log)
