"""moosefs-master as a primitive on replicated storage, against real MooseFS daemons: every
action, the mount guard, crash recovery with -a, a bounded stop of a stuck master, and a client
whose fsync'd files survive a crash of the master."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.lab.cgroups import memory_cgroup, memory_cgroup_problem
from tests.lab.moosefs import read_when_served, wait_until, write, write_synced
from tests.lab.netns import sh
from tests.moosefs.conftest import gone

pytestmark = pytest.mark.netns


def test_every_action_in_order(master) -> None:
    assert master("validate-all").rc == 0
    assert master("monitor").rc == 7  # probe
    started = master("start")
    assert started.rc == 0, started.stderr
    pid = master.pid()
    assert pid is not None
    assert master("start").rc == 0 and master.pid() == pid  # idempotent
    assert master("monitor", interval=10000).rc == 0
    assert master("monitor").rc == 0
    for action in ("promote", "demote"):
        refused = master(action)
        assert refused.rc == 3 and "promotable clone" in refused.exit_reason
    assert master("notify").rc == 0
    stopped = master("stop")
    assert stopped.rc == 0, stopped.stderr
    assert master.pid() is None and gone(pid)
    assert master("monitor").rc == 7
    assert master("stop").rc == 0
    assert master("nonsense").rc == 3


def test_start_refuses_a_data_path_not_on_the_mounted_filesystem(master, replicated) -> None:
    sh(["umount", replicated])
    os.makedirs(master.data_path)  # the empty directory beneath the mount point
    refused = master("start")
    assert refused.rc == 1
    assert f"{replicated} is not mounted" in refused.exit_reason
    assert master.pid() is None and os.listdir(master.data_path) == []


@pytest.mark.parametrize("mode, warns", [(0, True), (2, False)])
def test_start_warns_unless_the_changelog_is_on_disk_before_clients_hear(
        master, mode: int, warns: bool) -> None:
    """With the default CHANGELOG_SAVE_MODE a background process writes the changelog after
    the client is answered: the lab's power cut of the master's node lost fsync'd files."""
    with open(master.params["config"]) as config:
        text = config.read()
    write(master.params["config"], text.replace("CHANGELOG_SAVE_MODE = 2",
                                                f"CHANGELOG_SAVE_MODE = {mode}"))
    started = master("start")
    assert started.rc == 0, started.stderr
    assert ("set CHANGELOG_SAVE_MODE = 2 in" in started.stderr) == warns


def test_start_fails_at_once_when_the_master_dies_starting(master) -> None:
    """Seen in the lab: `mfsmaster start` said the daemon started, the OOM killer then took it
    while it loaded the metadata, and start waited out its timeout for a port nobody would
    open. Here the master starts in a cgroup too small for it, for real."""
    problem = memory_cgroup_problem()
    if problem:
        pytest.skip(problem)
    with memory_cgroup(60) as enter:
        started = master("start", timeout_ms=60000, preexec=enter)
    assert started.rc == 1
    assert "mfsmaster exited while starting" in started.exit_reason
    assert started.seconds < 20 and master.pid() is None


def test_client_files_survive_a_killed_master_and_start_recovers_with_a(cell, master) -> None:
    assert master("start").rc == 0
    cell.start_chunkserver()
    cell.wait_for_chunkservers()
    mount = cell.mount()
    files = {f"file{n}": os.urandom(5000 + n) for n in range(5)}
    for name, data in files.items():
        write_synced(os.path.join(mount, name), data)
    os.kill(master.pid(), signal.SIGKILL)
    wait_until(lambda: master.pid() is None, 5, "mfsmaster dead")

    assert master("monitor").rc == 7  # probe: not running here
    failed = master("monitor", interval=10000)
    assert failed.rc == 1 and "crashed or killed" in failed.exit_reason

    restarted = master("start")
    assert restarted.rc == 0, restarted.stderr
    assert "did not stop cleanly" in restarted.stderr and "recovered" in restarted.stderr
    cell.wait_for_chunkservers()
    for name, data in files.items():
        assert read_when_served(os.path.join(mount, name)) == data
    assert master("monitor", interval=10000, depth=20).rc == 0


def test_start_after_a_clean_stop_does_not_use_a(master) -> None:
    assert master("start").rc == 0
    assert master("stop").rc == 0
    again = master("start")
    assert again.rc == 0 and "mfsmaster -a" not in again.stderr


def test_stop_of_a_stuck_master_ends_inside_the_timeout(master) -> None:
    assert master("start").rc == 0
    pid = master.pid()
    os.kill(pid, signal.SIGSTOP)  # a master that will never let go of its lock
    started = time.monotonic()
    stopped = master("stop", timeout_ms=12000)
    took = time.monotonic() - started
    assert stopped.rc == 0, stopped.stderr
    assert took < 12, f"stop took {took:.1f}s of its 12s"
    assert "did not stop within its lock timeout" in stopped.stderr
    assert gone(pid)
    recovered = master("start")
    assert recovered.rc == 0 and "recovered" in recovered.stderr


def test_depth_20_is_degraded_without_chunkservers(master) -> None:
    assert master("start").rc == 0
    assert master("monitor", interval=10000, depth=10).rc == 0
    degraded = master("monitor", interval=10000, depth=20)
    assert degraded.rc == 190 and "no chunkserver is connected" in degraded.exit_reason


def test_monitor_fails_a_master_that_does_not_answer_on_its_client_port(master) -> None:
    assert master("start").rc == 0
    with open(master.params["config"], "a") as config:
        config.write("MATOCL_LISTEN_PORT = 9499\n")  # where nothing listens
    failed = master("monitor", interval=10000)
    assert failed.rc == 1 and "does not accept connections" in failed.exit_reason


def test_data_path_parameter_overrides_the_configuration(cell, master, replicated) -> None:
    from tests.lab.moosefs import make_data_dir

    other = make_data_dir(os.path.join(replicated, "other"), metadata=True)
    master.params["data_path"] = other
    assert master("start").rc == 0
    assert os.path.exists(os.path.join(other, ".mfsmaster.lock"))
    assert master("monitor", interval=10000).rc == 0
    assert master("stop").rc == 0 and master.pid() is None
