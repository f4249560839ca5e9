"""Daemons started from an agent neither hang the action nor die with its process group."""

from __future__ import annotations

import os
import time

import pytest

from ocf_lib import processes
from ocf_lib.codes import OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCFError
from ocf_lib.daemons import run_daemonizing, spawn_daemon
from ocf_lib.deadline import Deadline
from ocf_lib.log import Logger

pytestmark = pytest.mark.unit


def quiet_log() -> Logger:
    return Logger("test", "r", {"HA_LOGFILE": "/dev/null"})


def test_spawned_daemon_runs_detached_in_its_own_session(tmp_path) -> None:
    output = tmp_path / "daemon.log"
    pid = spawn_daemon(["sh", "-c", "echo ready; exec sleep 30"], quiet_log(),
                       output_path=str(output))
    try:
        assert processes.is_alive(pid)
        assert os.getsid(pid) == pid != os.getsid(0)
        Deadline(5).wait_for(lambda: output.read_text() == "ready\n", what="daemon output")
        assert oct(output.stat().st_mode & 0o777) == "0o600"
    finally:
        assert processes.terminate(pid, Deadline(5), 1.0)


def test_spawning_a_missing_program_is_not_installed() -> None:
    with pytest.raises(OCFError) as raised:
        spawn_daemon(["/nonexistent/pyha-daemon"], quiet_log())
    assert raised.value.code == OCF_ERR_INSTALLED


def test_self_forking_daemon_does_not_hold_the_launch_open(tmp_path) -> None:
    """A pipe would stay open as long as the forked child lives; the launch must return now."""
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    launch = run_daemonizing(
        ["sh", "-c", f"sleep 30 & echo $! > {pidfile}; echo forked; exit 3"],
        Deadline(10), quiet_log())
    child = int(pidfile.read_text())
    try:
        assert time.monotonic() - started < 5
        assert (launch.returncode, launch.output) == (3, "forked\n")
        assert launch.summary() == "sh exited 3: forked"
        assert processes.is_alive(child)
    finally:
        processes.terminate(child, Deadline(5), 1.0)


def test_a_launcher_that_never_returns_is_cut_at_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(OCFError) as raised:
        run_daemonizing(["sleep", "30"], Deadline(10), quiet_log(), max_seconds=0.5)
    assert raised.value.code == OCF_ERR_GENERIC
    assert time.monotonic() - started < 3
