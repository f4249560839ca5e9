"""The daemon helpers that need no MooseFS: lock files, the private configuration files, moving
a former master's files aside, and the monitor's TCP check."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from ocf_lib.log import Logger
from ocf_lib.moosefs import service
from ocf_lib.tcp import connect_problem

pytestmark = pytest.mark.unit


def lock(tmp_path, text: str) -> str:
    (tmp_path / ".mfsmaster.lock").write_text(text)
    return str(tmp_path)


def test_a_lock_naming_no_mfsmaster_means_not_running(tmp_path) -> None:
    assert service.running_pid(str(tmp_path), "mfsmaster") is None          # no lock file
    assert service.running_pid(lock(tmp_path, "garbage\n"), "mfsmaster") is None
    assert service.running_pid(lock(tmp_path, "999999999\n"), "mfsmaster") is None
    # a live pid that is not mfsmaster (the lock outlives the daemon; pids are reused)
    assert service.running_pid(lock(tmp_path, f"{os.getpid()}\n"), "mfsmaster") is None
    ours = os.path.basename(Path("/proc/self/cmdline").read_text().split("\0")[0])
    assert service.running_pid(str(tmp_path), ours) is None   # no lock of that name yet
    (tmp_path / f".{ours}.lock").write_text(f"{os.getpid()}\n")
    assert service.running_pid(str(tmp_path), ours) == os.getpid()   # alive and the program


def test_private_configuration_is_root_only(tmp_path) -> None:
    path = str(tmp_path / "sub" / "mfsmaster.cfg")
    service.write_private(path, "AUTH_CODE = secret\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Path(path).read_text() == "AUTH_CODE = secret\n"


def test_former_master_files_are_moved_not_deleted(tmp_path) -> None:
    for name in ("metadata.mfs", "changelog.0.mfs", "changelog_ml.0.mfs", ".mfsmaster.lock"):
        (tmp_path / name).write_text(name)
    log = Logger("test", "test", {"HA_LOGFILE": str(tmp_path / "log")})
    target = service.archive_master_files(str(tmp_path), "1", log)
    assert sorted(os.listdir(target)) == ["changelog.0.mfs", "metadata.mfs"]
    assert sorted(os.listdir(tmp_path)) == [".mfsmaster.lock", "changelog_ml.0.mfs", "log",
                                            "pyha-superseded-1"]
    assert service.archive_master_files(str(tmp_path), "2", log) is None


def test_tcp_check() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        assert connect_problem("127.0.0.1", port, 1.0) is None
    assert "does not accept connections" in connect_problem("127.0.0.1", port, 1.0)
    assert "not an ASCII host name" in connect_problem("höst", port, 1.0)


def test_a_zombie_in_the_lock_counts_as_dead(tmp_path) -> None:
    import subprocess
    import time

    child = subprocess.Popen(["sleep", "0"])   # exits at once; not reaped until wait()
    try:
        until = time.monotonic() + 5
        while Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
            assert time.monotonic() < until, "the child never became a zombie"
            time.sleep(0.01)
        (tmp_path / ".sleep.lock").write_text(f"{child.pid}\n")
        assert service.running_pid(str(tmp_path), "sleep") is None
    finally:
        child.wait()


def test_the_reason_a_start_failed_is_the_specific_line() -> None:
    output = ("open files limit has been set to: 16384\nlockfile created and locked\n"
              "can't open mfsexports configuration file (/x/exports) - no exports !!!, error: "
              "EACCES (Permission denied)\nno exports defined !!!\n"
              "init: exports manager failed !!!\nerror occurred during initialization - exiting\n")
    assert service.failure_reason(output).startswith("can't open mfsexports configuration file")
    crashed = "loading metadata ...\ncan't find metadata.mfs - try using option '-a'\n" \
              "init: metadata manager failed !!!\nerror occurred during initialization - exiting\n"
    assert service.NEEDS_RECOVERY in service.failure_reason(crashed)
    assert service.failure_reason("") == "no output"
