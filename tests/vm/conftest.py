"""qemu guest pairs for tests: fresh per test, skipped with the exact reason when impossible."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.lab.vm.guest import qemu_available
from tests.lab.vm.kernel import KernelUnavailable
from tests.lab.vm.pair import VmPair, sweep_stale

# What the guests run from the host's root, and which package brings it.
GUEST_TOOLS = {"drbdadm": "drbd-utils", "busybox": "busybox-static", "mkfs.ext4": "e2fsprogs"}


def missing_requirement() -> str | None:
    if os.geteuid() != 0:
        return "qemu guests read the host's root over 9p and need root"
    reason = qemu_available()
    if reason:
        return reason
    for tool, package in GUEST_TOOLS.items():
        if shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
            return f"{tool} is missing (apt package {package}; see tools/install-deps)"
    return None


# What the guests' cluster stack runs from the host's root, and which package brings it.
CLUSTER_TOOLS = {"corosync": "corosync", "pacemakerd": "pacemaker", "pcs": "pcs",
                 "crm_mon": "pacemaker-cli-utils"}


def missing_cluster_tool() -> str | None:
    for tool, package in CLUSTER_TOOLS.items():
        if shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
            return f"{tool} is missing (apt package {package}; see tools/install-deps)"
    return None


@contextmanager
def booted_pair(disk_mib: int = 64, cluster: bool = False,
                memory_mib: int = 512) -> Iterator[VmPair]:
    """A booted pair, always closed; the test is skipped, with the exact reason, where guests
    (or, with `cluster`, their Pacemaker stack) cannot run here."""
    reason = missing_requirement() or (missing_cluster_tool() if cluster else None)
    if reason:
        pytest.skip(reason)
    try:
        pair = VmPair(disk_mib=disk_mib, memory_mib=memory_mib).__enter__()
    except KernelUnavailable as err:
        pytest.skip(f"no guest kernel: {err}")
    try:
        yield pair
    finally:
        pair.close()


@pytest.fixture(scope="session", autouse=True)
def _sweep_stale_vm_dirs() -> None:
    sweep_stale()


@pytest.fixture
def vm_pair(request) -> Iterator[VmPair]:
    """Guests alpha (192.168.77.1) and bravo (.2), each with a 64 MiB disk at /dev/vda."""
    with booted_pair(64) as pair:
        yield pair
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(pair.logs(dmesg=True))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
