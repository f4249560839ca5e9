"""Real DRBD 8.4 between two qemu guests: sync, fail over by hand, and the refusals.

Data written on alpha must read back identically on bravo after a manual switch-over; data
written on bravo while alpha was disconnected and outdated must reach alpha by resync and read
back there after a fail-back. DRBD must refuse: promotion without UpToDate data (rc 17, on an
Inconsistent and on an Outdated disk), a second Primary (rc 11), demotion while mounted (rc 11).
Every state the resource passes through is saved (/proc/drbd, `drbdadm status`,
`drbdsetup events2 --now`, role/dstate/cstate, with exit codes) under the test's tmp dir:
inputs for the DRBD parser tests (or under $PYHA_DRBD_SNAPSHOTS when set).
"""

from __future__ import annotations

import os
import time

import pytest

from tests.conftest import report_figure
from tests.lab.vm import drbd
from tests.lab.vm.guest import Guest, Result
from tests.lab.vm.pair import VmPair

pytestmark = pytest.mark.vm

RESOURCE = "r0"
DEVICE = "/dev/drbd0"
MOUNTPOINT = "/mnt/r0"
# drbdsetup's exit codes for a refused state change, as drbdadm passes them on.
RC_REFUSED_MULTIPLE_PRIMARIES = 11   # also "Device is held open by someone"
RC_REFUSED_NO_UPTODATE_DATA = 17


def drbdadm(guest: Guest, *args: str, check: bool = True) -> Result:
    return guest.run(["drbdadm", *args], timeout=60, check=check)


def assert_refused(result: Result, rc: int, message: str) -> None:
    assert result.rc == rc, f"{result.argv} exited {result.rc}, not {rc}:\n{result.output}"
    assert message in result.output, result.output


def uptodate_both(text: str) -> bool:
    return drbd.disk_states(text) == ("UpToDate", "UpToDate")


def write_data(guest: Guest) -> str:
    """A few files on the mounted device; their sha256 sums, as sha256sum prints them."""
    guest.run(["dd", "if=/dev/urandom", f"of={MOUNTPOINT}/blob", "bs=1M", "count=8",
               "status=none"], check=True)
    guest.write_file(f"{MOUNTPOINT}/notes/written-on.txt", f"written on {guest.name}\n")
    guest.run(["sync"], check=True)  # on the DRBD device now, not only in the page cache
    return checksums(guest)


def fail_over_by_hand(old: Guest, new: Guest) -> float:
    """Move the mounted device from old to new; seconds it took."""
    started = time.monotonic()
    old.run(["umount", MOUNTPOINT], check=True)
    drbdadm(old, "secondary", RESOURCE)
    drbdadm(new, "primary", RESOURCE)
    new.run(["mount", DEVICE, MOUNTPOINT], check=True)
    return time.monotonic() - started


def checksums(guest: Guest) -> str:
    return guest.run(["sha256sum", f"{MOUNTPOINT}/blob", f"{MOUNTPOINT}/notes/written-on.txt"],
                     check=True).stdout


class States:
    """Numbered snapshots of both guests, saved as <dir>/<NN>-<state>-<guest>.txt."""

    def __init__(self, pair: VmPair, directory: str) -> None:
        self.pair = pair
        self.dir = directory
        self.count = 0

    def save(self, state: str) -> None:
        self.count += 1
        drbd.save_snapshots(self.dir, self.count, state, self.pair.guests, RESOURCE)


def test_drbd_fails_over_by_hand_and_the_data_checksum_survives(vm_pair: VmPair,
                                                                 tmp_path) -> None:
    alpha, bravo = vm_pair.guests
    cache = "downloaded and unpacked" if vm_pair.kernel_downloaded else "cached"
    report_figure(f"vm: two guests booted in parallel in {vm_pair.boot_seconds:.1f} s "
                  f"({vm_pair.accel}; kernel {cache}, {vm_pair.kernel_seconds:.1f} s of it; "
                  f"slowest guest {max(g.boot_seconds or 0 for g in vm_pair.guests):.1f} s "
                  "from qemu start to agent)")
    # pytest keeps only its last three tmp dirs: PYHA_DRBD_SNAPSHOTS keeps a set for good.
    states = States(vm_pair, os.environ.get("PYHA_DRBD_SNAPSHOTS")
                    or str(tmp_path / "drbd-states"))

    config = drbd.resource_config(RESOURCE, vm_pair.guests)
    for guest in vm_pair.guests:
        guest.run(["modprobe", "drbd"], check=True)
        drbd.install_config(guest, RESOURCE, config)
    assert "version: 8.4" in drbd.proc_drbd(alpha)
    states.save("loaded-unconfigured")

    vm_pair.parallel(lambda guest: drbdadm(guest, "create-md", RESOURCE))
    vm_pair.parallel(lambda guest: drbdadm(guest, "up", RESOURCE))
    for guest in vm_pair.guests:
        drbd.wait_proc_drbd(guest, lambda text: drbd.connection_state(text) == "Connected",
                            60, "connected")
    states.save("connected-secondary-secondary-inconsistent")

    # No UpToDate data anywhere yet: a plain promotion is refused.
    assert_refused(drbdadm(alpha, "primary", RESOURCE, check=False),
                   RC_REFUSED_NO_UPTODATE_DATA, "Need access to UpToDate data")

    started = time.monotonic()
    drbdadm(alpha, "primary", "--force", RESOURCE)
    drbd.wait_proc_drbd(alpha, uptodate_both, 300, "UpToDate/UpToDate", interval=0.1)
    sync_seconds = time.monotonic() - started
    drbd.wait_proc_drbd(bravo, uptodate_both, 30, "UpToDate/UpToDate")
    report_figure(f"vm: DRBD initial full sync of {vm_pair.disk_mib} MiB in {sync_seconds:.1f} s "
                  "(primary --force to UpToDate/UpToDate; protocol C over the guests' UDP link)")
    states.save("connected-primary-secondary-uptodate")

    # The peer is Primary: a second Primary is refused (no allow-two-primaries).
    assert_refused(drbdadm(bravo, "primary", RESOURCE, check=False),
                   RC_REFUSED_MULTIPLE_PRIMARIES, "Multiple primaries not allowed by config")

    alpha.run(["mkfs.ext4", "-q", "-F", DEVICE], timeout=120, check=True)
    for guest in vm_pair.guests:
        guest.run(["mkdir", "-p", MOUNTPOINT], check=True)
    alpha.run(["mount", DEVICE, MOUNTPOINT], check=True)
    written = write_data(alpha)
    states.save("primary-mounted-secondary")
    assert_refused(drbdadm(alpha, "secondary", RESOURCE, check=False),
                   RC_REFUSED_MULTIPLE_PRIMARIES, "Device is held open by someone")

    failover_seconds = fail_over_by_hand(alpha, bravo)
    report_figure(f"vm: DRBD failover by hand alpha→bravo (umount, secondary, primary, mount) "
                  f"in {failover_seconds:.2f} s")
    assert checksums(bravo) == written
    states.save("secondary-primary-mounted")

    # alpha cut off and outdated: its stale data must not be promoted.
    drbdadm(alpha, "disconnect", RESOURCE)
    drbdadm(alpha, "outdate", RESOURCE)
    assert drbd.disk_states(drbd.proc_drbd(alpha))[0] == "Outdated"
    assert_refused(drbdadm(alpha, "primary", RESOURCE, check=False),
                   RC_REFUSED_NO_UPTODATE_DATA, "Need access to UpToDate data")
    written = write_data(bravo)  # while alpha is away: it needs a resync to catch up
    states.save("standalone-outdated-wfconnection-primary")

    resync_after_reconnect(vm_pair, states)
    assert drbd.roles(drbd.proc_drbd(bravo)) == ("Primary", "Secondary")
    # What alpha missed came with the resync: fail back and read it there.
    failback_seconds = fail_over_by_hand(bravo, alpha)
    report_figure(f"vm: DRBD failback by hand bravo→alpha after a resync in "
                  f"{failback_seconds:.2f} s")
    assert checksums(alpha) == written
    print(f"\nDRBD state snapshots: {states.dir}")
    report_figure(f"vm: DRBD state snapshots saved in {states.dir}")


def resync_after_reconnect(pair: VmPair, states: States) -> None:
    """alpha comes back and catches up; snapshots of the resync, running and paused.

    The sync source (bravo) is throttled to 1 MiB/s first, or a few MiB would be through
    before the snapshots start. (`drbdadm adjust` does not put the configured rate back on
    8.4: the rest would crawl at 1 MiB/s.)"""
    alpha, bravo = pair.guests
    drbdadm(bravo, "disk-options", "--resync-rate=1M", RESOURCE)
    drbdadm(alpha, "connect", RESOURCE)
    drbd.wait_proc_drbd(alpha, lambda text: drbd.connection_state(text) == "SyncTarget", 60,
                        "SyncTarget", interval=0.1)
    states.save("resync-synctarget-syncsource")
    drbdadm(alpha, "pause-sync", RESOURCE)
    states.save("resync-paused-by-user")
    drbdadm(alpha, "resume-sync", RESOURCE)
    drbdadm(bravo, "disk-options", f"--resync-rate={drbd.RESYNC_RATE}", RESOURCE)
    for guest in pair.guests:
        drbd.wait_proc_drbd(guest, uptodate_both, 120, "UpToDate/UpToDate after the resync")
    states.save("reconnected-secondary-primary-uptodate")
