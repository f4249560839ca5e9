"""Mounts on real loop-device filesystems: the guard, mount with fsck, unmount that stops
its holders."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from ocf_lib import mounts
from ocf_lib.codes import OCF_ERR_CONFIGURED, OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCFError
from ocf_lib.deadline import Deadline
from ocf_lib.log import Logger

pytestmark = pytest.mark.host

LOG = Logger("test", "mounts", {"HA_LOGFILE": "/dev/null"})


class LoopFilesystem:
    def __init__(self, image: str, device: str, mountpoint: str, fstype: str) -> None:
        self.image, self.device, self.mountpoint, self.fstype = image, device, mountpoint, fstype


@pytest.fixture(params=["ext4"])
def loopfs(request, tmp_path) -> Iterator[LoopFilesystem]:
    if os.geteuid() != 0:
        pytest.skip("loop devices need root")
    image, mountpoint = tmp_path / "disk.img", tmp_path / "mnt"
    mountpoint.mkdir()
    with open(image, "wb") as disk:
        disk.truncate(32 * 1024 * 1024)
    subprocess.run([f"mkfs.{request.param}", "-q", str(image)], check=True)
    device = subprocess.run(["losetup", "--find", "--show", str(image)], check=True,
                            capture_output=True, text=True).stdout.strip()
    try:
        yield LoopFilesystem(str(image), device, str(mountpoint), request.param)
    finally:
        # A failed test may leave a holder behind: kill it, or the loop device stays busy.
        while (entry := mounts.mount_at(str(mountpoint))) is not None:
            for holder in mounts.holders(entry.device):
                os.kill(holder.pid, 9)
            time.sleep(0.1)
            subprocess.run(["umount", str(mountpoint)], check=False)
        subprocess.run(["losetup", "-d", device], check=False)


def hold(command: str, cwd: str, *args: str) -> subprocess.Popen:
    """A process that keeps the filesystem busy, reporting 'ready' once it does."""
    holder = subprocess.Popen([sys.executable, "-c", command, *args], cwd=cwd,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    return holder


def test_mount_is_idempotent_and_recognised(loopfs) -> None:
    assert not mounts.is_mounted(loopfs.device, loopfs.mountpoint)
    for _ in range(2):
        mounts.mount(loopfs.device, loopfs.mountpoint, "ext4", "noatime", Deadline(20), LOG)
    assert mounts.is_mounted(loopfs.device, loopfs.mountpoint)
    entry = mounts.mount_at(loopfs.mountpoint)
    assert entry.fstype == "ext4" and "noatime" in entry.options
    mounts.unmount(loopfs.mountpoint, Deadline(20), LOG)
    assert not mounts.is_mounted(loopfs.device, loopfs.mountpoint)
    mounts.unmount(loopfs.mountpoint, Deadline(20), LOG)  # already unmounted: fine


def test_mount_creates_a_missing_mount_point(loopfs) -> None:
    """A node booted with a fresh root (or reinstalled) lacks the directory: mount makes it."""
    os.rmdir(loopfs.mountpoint)
    mounts.mount(loopfs.device, loopfs.mountpoint, "ext4", "", Deadline(20), LOG)
    assert mounts.is_mounted(loopfs.device, loopfs.mountpoint)
    assert oct(os.stat(loopfs.mountpoint).st_mode & 0o777) == "0o755"
    mounts.unmount(loopfs.mountpoint, Deadline(20), LOG)


def test_mount_point_that_is_a_file_is_not_installed(loopfs) -> None:
    os.rmdir(loopfs.mountpoint)
    with open(loopfs.mountpoint, "w"):
        pass
    with pytest.raises(OCFError) as raised:
        mounts.mount(loopfs.device, loopfs.mountpoint, "ext4", "", Deadline(20), LOG)
    assert raised.value.code == OCF_ERR_INSTALLED
    os.unlink(loopfs.mountpoint)
    os.mkdir(loopfs.mountpoint)


def test_guard_refuses_the_empty_directory_under_an_unmounted_mount_point(loopfs) -> None:
    datadir = os.path.join(loopfs.mountpoint, "mysql")
    os.mkdir(datadir)  # the trap: this directory lives on the root filesystem
    with pytest.raises(OCFError) as refused:
        mounts.require_mounted_data(datadir, loopfs.mountpoint, loopfs.device)
    assert refused.value.code == OCF_ERR_GENERIC and "not mounted" in refused.value.reason
    os.rmdir(datadir)
    mounts.mount(loopfs.device, loopfs.mountpoint, "ext4", "", Deadline(20), LOG)
    os.mkdir(datadir)
    mounts.require_mounted_data(datadir, loopfs.mountpoint, loopfs.device)
    with pytest.raises(OCFError) as elsewhere:
        mounts.require_mounted_data("/var/lib", loopfs.mountpoint, loopfs.device)
    assert elsewhere.value.code == OCF_ERR_CONFIGURED
    mounts.unmount(loopfs.mountpoint, Deadline(20), LOG)


HOLDERS = {
    "cwd": "import time; print('ready', flush=True); time.sleep(60)",
    "fd": "import os, time; f = open('data', 'w'); os.chdir('/'); print('ready', flush=True); "
          "time.sleep(60)",
    # The program itself lives on the filesystem: held as exe (and by its text mapping).
    "exe": "import os, shutil, sys; shutil.copy('/bin/sleep', 'sleep'); os.chdir('/'); "
           "print('ready', flush=True); os.execv(sys.argv[1] + '/sleep', ['sleep', '60'])",
}


@pytest.mark.parametrize("how", list(HOLDERS))
def test_stop_kills_process_holding_mount(loopfs, how: str) -> None:
    mounts.mount(loopfs.device, loopfs.mountpoint, "ext4", "", Deadline(20), LOG)
    holder = hold(HOLDERS[how], loopfs.mountpoint, loopfs.mountpoint)
    time.sleep(0.2)  # let the exec happen
    found = mounts.holders(mounts.mount_at(loopfs.mountpoint).device)
    assert [h.pid for h in found] == [holder.pid]
    assert found[0].how.split()[0] == how
    mounts.unmount(loopfs.mountpoint, Deadline(20), LOG)
    assert holder.wait(timeout=5) < 0
    assert mounts.mount_at(loopfs.mountpoint) is None


def test_holder_ignoring_term_is_killed_within_the_deadline(loopfs) -> None:
    mounts.mount(loopfs.device, loopfs.mountpoint, "ext4", "", Deadline(20), LOG)
    holder = hold("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                  "print('ready', flush=True); time.sleep(60)", loopfs.mountpoint)
    started = time.monotonic()
    mounts.unmount(loopfs.mountpoint, Deadline(20), LOG)
    assert holder.wait(timeout=5) == -9
    assert time.monotonic() - started < mounts.TERM_GRACE_SECONDS + 2


def test_unmount_held_by_the_kernel_fails_loudly(loopfs) -> None:
    """A loop device backed by a file on the filesystem holds it with no process to stop."""
    mounts.mount(loopfs.device, loopfs.mountpoint, "ext4", "", Deadline(20), LOG)
    backing = os.path.join(loopfs.mountpoint, "inner.img")
    with open(backing, "wb") as inner:
        inner.truncate(1024 * 1024)
    inner_loop = subprocess.run(["losetup", "--find", "--show", backing], check=True,
                                capture_output=True, text=True).stdout.strip()
    try:
        started = time.monotonic()
        with pytest.raises(OCFError) as failed:
            mounts.unmount(loopfs.mountpoint, Deadline(5), LOG)
        assert failed.value.code == OCF_ERR_GENERIC and "busy" in failed.value.reason
        assert time.monotonic() - started < 5
        assert mounts.mount_at(loopfs.mountpoint) is not None  # never lazily unmounted
    finally:
        subprocess.run(["losetup", "-d", inner_loop], check=False)


BIND_OF_ROOT = """
import os, subprocess, sys
sys.path.insert(0, sys.argv[1])
from ocf_lib import mounts
from ocf_lib.codes import OCFError
from ocf_lib.deadline import Deadline
from ocf_lib.log import Logger
target = sys.argv[2]
subprocess.run(["mount", "--make-rprivate", "/"], check=True)
subprocess.run(["mount", "--bind", "/usr", target], check=True)
holder = subprocess.Popen(["sleep", "30"], cwd=target)
try:
    mounts.unmount(target, Deadline(10), Logger("t", "t", {"HA_LOGFILE": "/dev/null"}))
    print("unmounted")
except OCFError as err:
    print("refused:", err.reason)
print("holder alive:", holder.poll() is None)
holder.kill()
"""


def test_busy_bind_of_the_root_filesystem_kills_nothing(tmp_path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mount namespaces need root")
    target = tmp_path / "bind"
    target.mkdir()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(["unshare", "--mount", sys.executable, "-c", BIND_OF_ROOT, root,
                           str(target)], capture_output=True, text=True, timeout=60)
    assert "refused: " in done.stdout and "not killing the whole system" in done.stdout, \
        done.stdout + done.stderr
    assert "holder alive: True" in done.stdout


def test_mountinfo_parser_decodes_escapes() -> None:
    line = ("36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root "
            "rw,errors=continue")
    (entry,) = mounts.parse_mountinfo(line)
    assert (entry.mount_id, entry.parent_id, entry.device) == (36, 35, (98, 0))
    assert entry.root == "/mnt1" and entry.mountpoint == "/mnt/with space"
    assert (entry.fstype, entry.source) == ("ext3", "/dev/root")
    assert entry.super_options == "rw,errors=continue" and not entry.synchronous
    with pytest.raises(ValueError):
        mounts.parse_mountinfo("garbage line")


def test_a_sync_mount_is_synchronous() -> None:
    """The kernel shows `sync` among the filesystem's options, after the separator."""
    (entry,) = mounts.parse_mountinfo("46 27 0:41 / /srv rw,relatime - tmpfs x rw,sync")
    assert entry.synchronous


def test_fsck_policy() -> None:
    assert mounts.needs_fsck("auto", "ext2") and not mounts.needs_fsck("auto", "ext4")
    assert mounts.needs_fsck("force", "xfs") and not mounts.needs_fsck("no", "ext2")
    with pytest.raises(ValueError):
        mounts.needs_fsck("sometimes", "ext4")
