"""Mounts: what is mounted where (from mountinfo), mount with an fsck policy, an unmount that
stops whatever holds the filesystem within the deadline, and the guard services start behind.

The unmount never goes lazy (a lazy unmount hides a filesystem that is still being written, the
opposite of what a failover needs) and never matches processes by path prefix on a bind mount of
`/` (fuser -m on such a bind matched every process of the system: resource-agents issue 1304).
Holders are found by device number, and only on the filesystem being unmounted.
"""

from __future__ import annotations

import os

from .codes import OCF_ERR_CONFIGURED, OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCFError
from .commands import run_command
from .deadline import Deadline
from .log import Logger
from .record import record

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Iterable

FSCK_POLICIES = ("auto", "force", "no")
# Journaling filesystems replay their journal at mount time; fsck there only costs time.
JOURNALED = frozenset({"ext3", "ext4", "xfs", "btrfs", "jfs", "reiserfs", "f2fs"})
TERM_GRACE_SECONDS = 3.0


@record
class MountEntry:
    mount_id: int
    parent_id: int
    device: tuple[int, int]   # major, minor of the filesystem
    root: str                 # the path inside the filesystem that is mounted (/ unless a bind)
    mountpoint: str
    options: str
    fstype: str
    source: str
    super_options: str        # the filesystem's own options: `sync` shows here, not in options

    @property
    def synchronous(self) -> bool:
        """Mounted `sync`: every write reaches the device before write() returns."""
        return "sync" in self.super_options.split(",")


def unescape_octal(field: str) -> str:
    """mountinfo (and the kernel's etab/exports) write space, tab, newline and backslash as
    \\040, \\011, \\012, \\134."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[MountEntry]:
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        before, separator, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if not separator or len(fields) < 6 or len(tail) < 2:
            raise ValueError(f"malformed mountinfo line: {line!r}")
        major, _, minor = fields[2].partition(":")
        entries.append(MountEntry(int(fields[0]), int(fields[1]), (int(major), int(minor)),
                                  unescape_octal(fields[3]), unescape_octal(fields[4]), fields[5],
                                  tail[0], unescape_octal(tail[1]),
                                  tail[2] if len(tail) > 2 else ""))
    return entries


def mounts() -> list[MountEntry]:
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as info:
        return parse_mountinfo(info.read())


def mount_at(mountpoint: str, entries: Iterable[MountEntry] | None = None) -> MountEntry | None:
    """The mount on top at `mountpoint` (the last one mounted there), or None."""
    target = os.path.realpath(mountpoint)
    found = None
    for entry in mounts() if entries is None else entries:
        if entry.mountpoint == target:
            found = entry
    return found


def mount_containing(path: str, entries: Iterable[MountEntry] | None = None) -> MountEntry:
    """The mount a path lives on: the longest mountpoint that is a prefix of it."""
    target = os.path.realpath(path)
    best = None
    for entry in mounts() if entries is None else entries:
        point = entry.mountpoint
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best.mountpoint)):
            best = entry
    if best is None:
        raise ValueError(f"no mount contains {path}")
    return best


def device_number(device: str) -> tuple[int, int]:
    """major, minor of a block device node (symlinks such as /dev/drbd/by-res/r0/0 followed)."""
    rdev = os.stat(device).st_rdev
    return os.major(rdev), os.minor(rdev)


def is_mounted(device: str, mountpoint: str) -> bool:
    """Whether exactly this device is mounted at exactly this place."""
    entry = mount_at(mountpoint)
    if entry is None:
        return False
    try:
        return entry.device == device_number(device)
    except OSError:
        return False


def require_mounted_data(directory: str, mountpoint: str,
                         device: str | None = None) -> MountEntry:
    """The guard before a service starts: its data directory must live on the replicated
    filesystem mounted at `mountpoint` (and from `device`, if given), never on the empty
    directory underneath an unmounted mount point. Returns that mount."""
    entry = mount_at(mountpoint)
    if entry is None:
        raise OCFError(OCF_ERR_GENERIC, f"{mountpoint} is not mounted; refusing to start on the "
                                        f"empty directory beneath it")
    if device is not None and entry.device != device_number(device):
        raise OCFError(OCF_ERR_GENERIC, f"{mountpoint} is mounted from {entry.source}, not "
                                        f"{device}")
    holder = mount_containing(directory)
    if holder.mount_id != entry.mount_id:
        raise OCFError(OCF_ERR_CONFIGURED, f"{directory} is not on the filesystem mounted at "
                                           f"{mountpoint} (it is on {holder.mountpoint})")
    return entry


# Mounting ---------------------------------------------------------------------------------------

FSTYPE_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


def check_fstype(text: str) -> str:
    if not 0 < len(text) <= 32 or not set(text) <= FSTYPE_CHARACTERS:
        raise ValueError("not a filesystem type (e.g. ext4, xfs)")
    return text


def check_options(text: str) -> str:
    """Mount options as one -o argument: printable ASCII, no spaces, not an option itself."""
    if not text.isascii() or not text.isprintable() or " " in text or text.startswith("-"):
        raise ValueError("mount options are comma-separated words without spaces")
    return text

def needs_fsck(policy: str, fstype: str) -> bool:
    if policy not in FSCK_POLICIES:
        raise ValueError(f"fsck policy must be one of {', '.join(FSCK_POLICIES)}")
    return policy == "force" or (policy == "auto" and fstype not in JOURNALED)


def mount(device: str, mountpoint: str, fstype: str, options: str, deadline: Deadline,
          log: Logger, fsck: str = "auto") -> None:
    """Mount `device` at `mountpoint` (idempotent), after fsck if the policy asks for it.

    A missing mount point is created (0755), as Filesystem does: a node reinstalled or booted
    with a fresh root must not ban the resource over an empty directory."""
    if is_mounted(device, mountpoint):
        return
    occupied = mount_at(mountpoint)
    if occupied is not None:
        raise OCFError(OCF_ERR_GENERIC, f"{mountpoint} already has {occupied.source} mounted")
    if not os.path.isdir(mountpoint):
        try:
            os.makedirs(mountpoint, mode=0o755)
        except OSError as err:
            raise OCFError(OCF_ERR_INSTALLED,
                           f"cannot create mount point {mountpoint}: {err.strerror}") from None
        log.info(f"created mount point {mountpoint}")
    if needs_fsck(fsck, fstype):
        # -p repairs what is safe without questions; 1 = errors corrected, 0 = clean.
        result = run_command(["fsck", "-p", "-t", fstype, device], deadline, log)
        if result.returncode not in (0, 1):
            raise OCFError(OCF_ERR_GENERIC, f"fsck of {device} needs a human: "
                                            f"{result.summary()}")
    argv = ["mount", "-t", fstype]
    if options:
        argv += ["-o", options]
    run_command([*argv, device, mountpoint], deadline, log, check=True)


# Unmounting -------------------------------------------------------------------------------------

@record
class Holder:
    pid: int
    command: str
    how: str   # "cwd", "root", "exe", "fd 3", "map"


def _on_device(path: str, device: tuple[int, int]) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (os.major(st.st_dev), os.minor(st.st_dev)) == device


def _maps_device(pid: str, device: tuple[int, int]) -> bool:
    wanted = f"{device[0]:02x}:{device[1]:02x}"
    try:
        with open(f"/proc/{pid}/maps", encoding="ascii", errors="replace") as maps:
            return any(line.split()[3] == wanted for line in maps if len(line.split()) > 5)
    except OSError:
        return False


def holders(device: tuple[int, int]) -> list[Holder]:
    """Processes that keep the filesystem `device` busy: cwd, root, executable, open files,
    memory maps. Found by device number, so a bind mount elsewhere cannot widen the net."""
    own = str(os.getpid())
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == own:
            continue
        how = next((link for link in ("cwd", "root", "exe")
                    if _on_device(f"/proc/{pid}/{link}", device)), None)
        if how is None:
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                fds = []
            fd = next((fd for fd in fds if _on_device(f"/proc/{pid}/fd/{fd}", device)), None)
            how = f"fd {fd}" if fd is not None else ("map" if _maps_device(pid, device) else None)
        if how is not None:
            found.append(Holder(int(pid), _command(pid), how))
    return found


def _command(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as comm:
            return comm.read().strip()
    except OSError:
        return "?"


def _root_device() -> tuple[int, int]:
    st = os.stat("/")
    return os.major(st.st_dev), os.minor(st.st_dev)


def unmount(mountpoint: str, deadline: Deadline, log: Logger) -> None:
    """Unmount, stopping the processes that hold it (TERM, then KILL) within the deadline.

    Raises OCFError naming what still holds the filesystem when that is impossible: stop must
    fail loudly (Pacemaker then fences) rather than leave a half-unmounted filesystem.
    """
    import signal

    while (entry := mount_at(mountpoint)) is not None:
        if deadline.expired():
            left = ", ".join(f"{h.command}[{h.pid}] ({h.how})" for h in holders(entry.device))
            raise OCFError(OCF_ERR_GENERIC, f"{mountpoint} still busy at the deadline: "
                                            f"{left or 'held by the kernel'}")
        result = run_command(["umount", mountpoint], deadline, log)
        if result.ok:
            continue  # another filesystem may be stacked beneath; unmount until none is left
        if entry.device == _root_device():
            raise OCFError(OCF_ERR_GENERIC, f"{mountpoint} is a bind mount of the root "
                                            f"filesystem and busy; not killing the whole system")
        busy = holders(entry.device)
        if not busy:
            raise OCFError(OCF_ERR_GENERIC, f"cannot unmount {mountpoint}: {result.summary()}")
        _stop_holders(busy, mountpoint, deadline, log, signal.SIGTERM, TERM_GRACE_SECONDS)
        still = holders(entry.device)
        if still:
            _stop_holders(still, mountpoint, deadline, log, signal.SIGKILL, 1.0)


def _stop_holders(busy: list[Holder], mountpoint: str, deadline: Deadline, log: Logger,
                  sig: int, wait: float) -> None:
    from .processes import is_alive

    names = ", ".join(f"{h.command}[{h.pid}] ({h.how})" for h in busy)
    log.warning(f"{mountpoint} is held by {names}: sending signal {int(sig)}")
    for holder in busy:
        try:
            os.kill(holder.pid, sig)
        except ProcessLookupError:
            pass
    limit = Deadline(deadline.bounded(wait), margin_s=0)
    while any(is_alive(h.pid) for h in busy) and not limit.expired():
        limit.sleep(0.05)
