"""A memory-limited cgroup for tests that need a process to run out of memory for real."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.lab.netns import unique_name

V1_MEMORY = "/sys/fs/cgroup/memory"
V2_ROOT = "/sys/fs/cgroup"


def memory_cgroup_problem() -> str | None:
    """Why no memory cgroup can be made here, or None."""
    if os.geteuid() != 0:
        return "cgroups need root"
    if os.path.isdir(V1_MEMORY):
        return None
    try:
        with open(os.path.join(V2_ROOT, "cgroup.subtree_control")) as controllers:
            if "memory" in controllers.read().split():
                return None
    except OSError:
        pass
    return "no memory cgroup controller (neither cgroup v1 memory nor v2 with memory enabled)"


@contextmanager
def memory_cgroup(limit_mib: int) -> Iterator[Callable[[], None]]:
    """A new cgroup whose processes may use `limit_mib` of memory; yields the function that
    moves the calling process into it (a preexec_fn). Whatever still runs in it is killed and
    the cgroup removed on exit."""
    v1 = os.path.isdir(V1_MEMORY)
    path = os.path.join(V1_MEMORY if v1 else V2_ROOT, unique_name("mem"))
    os.mkdir(path)
    try:
        with open(os.path.join(path, "memory.limit_in_bytes" if v1 else "memory.max"),
                  "w") as limit:
            limit.write(str(limit_mib * 1024 * 1024))
        procs = os.path.join(path, "cgroup.procs")

        def enter() -> None:
            with open(procs, "w") as file:
                file.write(str(os.getpid()))
        yield enter
    finally:
        for _ in range(50):
            with open(os.path.join(path, "cgroup.procs")) as file:
                pids = [int(pid) for pid in file.read().split()]
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        os.rmdir(path)
