"""A MooseFS cell per test: its own network namespace, a master configuration whose data
directory sits on a mounted filesystem (the stand-in for DRBD), and the agent run inside."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from tests.lab.agents import AgentResult, run_agent
from tests.lab.moosefs import Cell, make_data_dir
from tests.lab.netns import sh

AGENT = "moosefs-master"
PROMOTABLE = {"clone_max": "2", "clone_node_max": "1", "promoted_max": "1",
              "promoted_node_max": "1", "notify": "true"}


class Master:
    """One moosefs-master resource in a cell: its parameters, state directory and actions."""

    def __init__(self, cell: Cell, rsctmp: str, params: dict[str, str], instance: str = "mfs",
                 meta: dict[str, str] | None = None) -> None:
        self.cell = cell
        self.rsctmp = rsctmp
        self.params = params
        self.instance = instance
        self.meta = meta or {}

    def __call__(self, action: str, *, interval: int = 0, timeout_ms: int = 60000,
                 depth: int | None = None, meta: dict[str, str] | None = None,
                 params: dict[str, str] | None = None,
                 env: dict[str, str] | None = None,
                 preexec: Callable[[], None] | None = None) -> AgentResult:
        extra = {"HA_RSCTMP": self.rsctmp, **(env or {})}
        if depth is not None:
            extra["OCF_CHECK_LEVEL"] = str(depth)
        return run_agent(AGENT, action, instance=self.instance,
                         params={**self.params, **(params or {})},
                         meta={"interval": str(interval), "timeout": str(timeout_ms),
                               **self.meta, **(meta or {})},
                         extra_env=extra, netns=self.cell.netns, timeout=timeout_ms / 1000 + 10,
                         preexec=preexec)

    def pid(self, daemon: str = "mfsmaster") -> int | None:
        try:
            with open(os.path.join(self.data_path, f".{daemon}.lock")) as lock:
                pid = int(lock.read().strip())
        except (OSError, ValueError):
            return None
        return None if gone(pid) else pid

    @property
    def data_path(self) -> str:
        from ocf_lib.moosefs.config import MasterConfig

        with open(self.params["config"]) as config:
            found = MasterConfig.from_text(config.read()).data_path
        return self.params.get("data_path", found)


def state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return "gone"


def gone(pid: int) -> bool:
    """Dead: no such process, or a zombie its parent (PID 1 here) has not reaped yet."""
    return state(pid) in ("gone", "Z", "X")


@pytest.fixture
def cell() -> Iterator[Cell]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    with Cell() as lab:
        yield lab


@pytest.fixture
def replicated(cell: Cell) -> Iterator[str]:
    """A mounted filesystem standing in for the DRBD one the master's data lives on."""
    point = cell.path("replicated")
    os.makedirs(point)
    sh(["mount", "-t", "tmpfs", "-o", "size=64m", "pyha-mfs-data", point])
    try:
        yield point
    finally:
        sh(["umount", "-l", point], check=False)


@pytest.fixture
def master(cell: Cell, replicated: str, rsctmp: str) -> Master:
    """A primitive moosefs-master whose data directory is on `replicated` (the cell kills what
    still runs when the test ends)."""
    data = make_data_dir(os.path.join(replicated, "mfs"), metadata=True)
    return Master(cell, rsctmp, {"config": cell.master_config("master", data),
                                 "data_mount": replicated})
