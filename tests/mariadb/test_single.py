"""The mariadb agent as a single instance (seed 001: one server whose datadir is on DRBD), with a
real MariaDB server of the lab."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from ocf_lib.codes import (
    OCF_ERR_ARGS,
    OCF_ERR_GENERIC,
    OCF_ERR_UNIMPLEMENTED,
    OCF_NOT_RUNNING,
    OCF_SUCCESS,
)
from tests.lab.mariadb import USER
from tests.mariadb.conftest import Resource

pytestmark = pytest.mark.host


def server_processes(resource: Resource) -> list[int]:
    """mariadbd / mysqld_safe processes whose command line names this server's files."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                argv = cmdline.read().decode(errors="replace")
        except OSError:
            continue
        if resource.db.config in argv and ("mariadbd" in argv or "mysqld_safe" in argv):
            found.append(int(pid))
    return found


def test_probe_of_a_stopped_server_says_not_running(database: Resource) -> None:
    assert database.monitor(probe=True).rc == OCF_NOT_RUNNING
    assert database.monitor().rc == OCF_NOT_RUNNING   # never started: not a failure either


def test_start_monitor_every_depth_stop(database: Resource) -> None:
    for _ in range(2):   # start and stop are idempotent
        start = database.ok("start")
        assert start.seconds < 15
    assert database.db.value("SELECT @@read_only") == 0   # a single instance is writable
    for level in (0, 10, 20):
        database.ok("monitor", meta={"interval": "20000"}, OCF_CHECK_LEVEL=str(level))
    assert database.monitor(probe=True).rc == OCF_SUCCESS
    # depth 20 wrote its heartbeat without a binlog event
    assert database.db.value("SELECT COUNT(*) FROM pyha.heartbeat") == 1
    assert database.db.value("SELECT @@gtid_binlog_pos") == ""
    for _ in range(2):
        database.ok("stop")
    assert not database.db.running() and not server_processes(database)
    assert database.monitor(probe=True).rc == OCF_NOT_RUNNING
    assert database.monitor().rc == OCF_NOT_RUNNING


def test_promote_and_demote_are_unimplemented_without_a_promotable_clone(
        database: Resource) -> None:
    for action in ("promote", "demote"):
        result = database.run(action)
        assert result.rc == OCF_ERR_UNIMPLEMENTED
        assert "promotable" in result.exit_reason


def test_kill_9_is_noticed_by_monitor(database: Resource) -> None:
    database.ok("start")
    database.db.kill()
    assert os.path.exists(database.db.pid_file)   # the crash leaves its pid file behind
    recurring = database.monitor()
    assert recurring.rc == OCF_ERR_GENERIC and "gone" in recurring.exit_reason
    assert database.monitor(probe=True).rc == OCF_NOT_RUNNING
    database.ok("stop")
    assert database.monitor().rc == OCF_NOT_RUNNING
    database.ok("start")   # over the stale pid file
    database.ok("monitor", meta={"interval": "20000"})


def test_monitor_of_a_hung_server_fails_within_its_timeout(database: Resource) -> None:
    database.ok("start")
    pid = database.db.pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        result = database.run("monitor", meta={"interval": "20000", "timeout": "6000"})
    finally:
        os.kill(pid, signal.SIGCONT)
    assert result.rc == OCF_ERR_GENERIC and result.seconds < 6, result.exit_reason


def test_stop_kills_a_server_that_ignores_sigterm_inside_the_timeout(database: Resource) -> None:
    database.ok("start")
    pid = database.db.pid()
    os.kill(pid, signal.SIGSTOP)   # a stopped process cannot act on SIGTERM
    stop = database.ok("stop", meta={"timeout": "8000"})
    assert stop.seconds < 8
    assert not database.db.running()


def test_start_refuses_an_uninitialised_datadir_and_never_initialises_it(
        database: Resource, tmp_path) -> None:
    empty = os.path.join(database.db.dir, "empty")
    os.mkdir(empty)
    shutil.chown(empty, USER, USER)
    start = database.run("start", params={"datadir": empty})
    assert start.rc == OCF_ERR_ARGS and "no initialised server" in start.exit_reason
    assert os.listdir(empty) == [] and not server_processes(database)


def test_start_fails_fast_with_the_servers_reason(database: Resource) -> None:
    start = database.run("start", params={"additional_parameters": "--no-such-option-pyha"})
    assert start.rc == OCF_ERR_GENERIC and "exited during start" in start.exit_reason
    assert "no-such-option-pyha" in start.exit_reason   # from the error log's last lines
    assert start.seconds < 15 and not server_processes(database)


def test_mysqld_safe_as_binary_as_in_seed_001(database: Resource) -> None:
    params = {"binary": "/usr/bin/mysqld_safe"}
    database.ok("start", params=params)
    database.ok("monitor", meta={"interval": "20000"}, params=params)
    launcher = [pid for pid in server_processes(database) if pid != database.db.pid()]
    assert launcher, "mysqld_safe is not running"
    database.ok("stop", params=params)
    assert not server_processes(database), "mysqld_safe or the server survived stop"


# The datadir on a mounted (replicated) filesystem -----------------------------------------------

@pytest.fixture
def loop_device(database: Resource, tmp_path) -> Iterator[tuple[str, str]]:
    """(device, mount point) of a fresh ext4 on a loop device, never mounted; always released.
    The mount point is beside the server's files, where the mysql user can reach it."""
    image, mountpoint = tmp_path / "disk.img", os.path.join(database.db.dir, "mnt")
    os.mkdir(mountpoint)
    with open(image, "wb") as disk:
        disk.truncate(64 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", str(image)], check=True)
    device = subprocess.run(["losetup", "--find", "--show", str(image)], check=True,
                            capture_output=True, text=True).stdout.strip()
    try:
        yield device, str(mountpoint)
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False, capture_output=True)
        subprocess.run(["losetup", "-d", device], check=False)


def test_start_refuses_a_datadir_whose_filesystem_is_not_mounted(
        database: Resource, loop_device: tuple[str, str]) -> None:
    device, mountpoint = loop_device
    # The trap: the mount point's own (root filesystem) directory, with an initialised datadir
    # even, must not be used while the replicated filesystem is not mounted.
    datadir = os.path.join(mountpoint, "mysql")
    shutil.copytree(database.db.datadir, datadir)
    params = {"datadir": datadir, "datadir_mount": mountpoint}
    start = database.run("start", params=params)
    assert start.rc == OCF_ERR_GENERIC and "not mounted" in start.exit_reason
    assert not server_processes(database)
    shutil.rmtree(datadir)

    subprocess.run(["mount", device, mountpoint], check=True)
    os.chmod(mountpoint, 0o755)
    shutil.copytree(database.db.datadir, datadir)
    subprocess.run(["chown", "-R", f"{USER}:{USER}", datadir], check=True)
    try:
        database.ok("start", params=params)
        database.ok("monitor", meta={"interval": "20000"}, params=params, OCF_CHECK_LEVEL="20")
        assert database.db.value("SELECT @@datadir").rstrip("/") == datadir
    finally:
        database.ok("stop", params=params)
    deadline = time.monotonic() + 10
    while subprocess.run(["umount", mountpoint], capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "the stopped server still holds the filesystem"
        time.sleep(0.1)


def test_a_stale_pid_file_naming_another_process_is_not_the_server(database: Resource) -> None:
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        with open(database.db.pid_file, "w") as pid_file:
            pid_file.write(f"{bystander.pid}\n")
        assert database.monitor(probe=True).rc == OCF_NOT_RUNNING
        database.ok("start")
        database.ok("stop")
        assert bystander.poll() is None, "the agent signalled a process that is not its server"
    finally:
        bystander.kill()
        bystander.wait()
