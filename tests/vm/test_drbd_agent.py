"""The drbd agent's actions, called as Pacemaker calls them, on real DRBD 8.4 in the VM pair.

One pair serves the module (booting costs ~7 s): a synced resource r0 with an ext4 filesystem,
down on both guests between tests. Every test starts from there and brings it down again.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest

from tests.conftest import report_figure
from tests.lab.agents import ROOT, agent_environment
from tests.lab.vm import drbd
from tests.lab.vm.guest import Guest, Result
from tests.lab.vm.pair import VmPair
from tests.vm.conftest import booted_pair

pytestmark = pytest.mark.vm

RESOURCE = "r0"
MOUNTPOINT = "/mnt/r0"
AGENT = os.path.join(ROOT, "agents", "drbd")
PYHA = os.path.join(ROOT, "bin", "pyha")
PROMOTABLE = {"clone_max": "2", "clone_node_max": "1", "promoted_max": "1",
              "promoted_node_max": "1", "notify": "true", "timeout": "60000"}
MONITOR = {**PROMOTABLE, "interval": "20000"}
MOUNT = {"directory": MOUNTPOINT, "fstype": "ext4"}


def run_agent(guest: Guest, action: str, meta: dict | None = None, **params: str) -> Result:
    env = agent_environment("drbd-r0", {"drbd_resource": RESOURCE, **params},
                            PROMOTABLE if meta is None else meta)
    return guest.run(["env", "-i", *(f"{k}={v}" for k, v in env.items()), AGENT, action],
                     timeout=120)


def exit_reason(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("ocf-exit-reason:")]
    return lines[-1].partition(":")[2] if lines else ""


def proc_state(guest: Guest) -> str:
    return drbd.proc_drbd(guest)


@pytest.fixture(scope="module")
def pair() -> Iterator[VmPair]:
    """A synced r0 with ext4 on it, down on both guests."""
    with booted_pair(32) as vms:
        drbd.bring_up_synced(vms, RESOURCE)
        for guest in vms.guests:
            guest.run(["mkdir", "-p", MOUNTPOINT], check=True)
        yield vms


@pytest.fixture
def guests(pair: VmPair) -> Iterator[tuple[Guest, Guest]]:
    alpha, bravo = pair.guests
    try:
        yield alpha, bravo
    finally:
        for guest in (alpha, bravo):
            stopped = run_agent(guest, "stop", **MOUNT)
            assert stopped.rc == 0, stopped.output


def start_both(alpha: Guest, bravo: Guest, **params: str) -> None:
    for guest in (alpha, bravo):
        started = run_agent(guest, "start", **params)
        assert started.rc == 0, started.output
    drbd.wait_proc_drbd(alpha, lambda t: drbd.disk_states(t) == ("UpToDate", "UpToDate")
                        and drbd.connection_state(t) == "Connected", 60, "connected, UpToDate")


def test_probe_start_promote_demote_stop_give_the_exact_codes(guests) -> None:
    alpha, bravo = guests
    assert run_agent(alpha, "monitor", {**PROMOTABLE, "interval": "0"}).rc == 7
    started = time.monotonic()
    start_both(alpha, bravo)
    assert [run_agent(g, "monitor", MONITOR).rc for g in (alpha, bravo)] == [0, 0]
    promoted = time.monotonic()
    assert run_agent(alpha, "promote").rc == 0
    report_figure(f"drbd agent: start of both + connect {promoted - started:.1f} s, promote "
                  f"{time.monotonic() - promoted:.1f} s (TCG guests)")
    assert run_agent(alpha, "promote").rc == 0  # idempotent
    assert [run_agent(g, "monitor", MONITOR).rc for g in (alpha, bravo)] == [8, 0]
    explained = json.loads(alpha.run([PYHA, "drbd-state", RESOURCE], check=True).stdout)
    assert explained["state"]["role"] == "Primary"
    assert explained["promotion"] == {"action": "set", "score": 10000,
                                      "reason": explained["promotion"]["reason"]}
    assert run_agent(alpha, "demote").rc == 0
    assert run_agent(alpha, "demote").rc == 0
    assert run_agent(alpha, "monitor", MONITOR).rc == 0
    for guest in (alpha, bravo):
        assert run_agent(guest, "stop").rc == 0
        assert run_agent(guest, "stop").rc == 0
        assert run_agent(guest, "monitor", MONITOR).rc == 7
    assert "cs:" not in proc_state(alpha)  # really down, not just Secondary


def test_promote_mounts_and_demote_unmounts_with_the_data_intact(guests) -> None:
    alpha, bravo = guests
    start_both(alpha, bravo, **MOUNT)
    assert run_agent(alpha, "promote", **MOUNT).rc == 0
    alpha.write_file(f"{MOUNTPOINT}/hello.txt", "written on alpha\n")
    alpha.run(["sync"], check=True)
    digest = alpha.run(["sha256sum", f"{MOUNTPOINT}/hello.txt"], check=True).stdout.split()[0]
    assert run_agent(alpha, "monitor", MONITOR, **MOUNT).rc == 8
    switched = time.monotonic()
    assert run_agent(alpha, "demote", **MOUNT).rc == 0
    assert run_agent(bravo, "promote", **MOUNT).rc == 0
    report_figure(f"drbd agent: demote + unmount on alpha, promote + mount on bravo in "
                  f"{time.monotonic() - switched:.1f} s")
    assert bravo.run(["sha256sum", f"{MOUNTPOINT}/hello.txt"], check=True).stdout.split()[0] \
        == digest
    assert run_agent(bravo, "monitor", MONITOR, **MOUNT).rc == 8
    bravo.run(["umount", MOUNTPOINT], check=True)
    result = run_agent(bravo, "monitor", MONITOR, **MOUNT)
    assert result.rc == 9 and "not mounted" in exit_reason(result)


def test_promote_is_refused_while_the_peer_is_primary(guests) -> None:
    alpha, bravo = guests
    start_both(alpha, bravo)
    assert run_agent(alpha, "promote").rc == 0
    result = run_agent(bravo, "promote")
    assert result.rc == 1 and "Multiple primaries" in exit_reason(result)


def test_promote_refuses_outdated_disk_at_once(guests) -> None:
    alpha, bravo = guests
    start_both(alpha, bravo)
    bravo.run(["drbdadm", "disconnect", RESOURCE], check=True)
    bravo.run(["drbdadm", "outdate", RESOURCE], check=True)
    degraded = run_agent(bravo, "monitor", MONITOR)
    assert degraded.rc == 190 and "disconnected" in exit_reason(degraded)
    started = time.monotonic()
    refused = run_agent(bravo, "promote")
    assert refused.rc == 1
    assert "no access to UpToDate data" in exit_reason(refused)
    assert "Outdated" in exit_reason(refused)
    assert time.monotonic() - started < 10  # refused at once, not retried until the deadline
    assert "ro:Secondary" in proc_state(bravo)


def promotion(guest: Guest) -> dict:
    """What `pyha drbd-state` says the agent would do with this node's promotion score."""
    return json.loads(guest.run([PYHA, "drbd-state", RESOURCE], check=True).stdout)["promotion"]


def test_resync_is_degraded_and_the_sync_target_ranks_below_the_source(guests) -> None:
    alpha, bravo = guests
    start_both(alpha, bravo)
    bravo.run(["drbdadm", "disconnect", RESOURCE], check=True)
    bravo.run(["drbdadm", "invalidate", RESOURCE], check=True)   # full resync on reconnect
    for guest in (alpha, bravo):   # slow enough to be caught in the act
        guest.run(["drbdsetup", "disk-options", "0", "--c-plan-ahead=0",
                   "--resync-rate=256k"], check=True)
    bravo.run(["drbdadm", "connect", RESOURCE], check=True)
    drbd.wait_proc_drbd(bravo, lambda t: drbd.connection_state(t) == "SyncTarget", 30,
                        "resyncing")
    target, source = run_agent(bravo, "monitor", MONITOR), run_agent(alpha, "monitor", MONITOR)
    assert (target.rc, source.rc) == (190, 190)
    assert "resync in progress" in exit_reason(target)
    assert "resync in progress" in exit_reason(source)
    assert promotion(bravo)["score"] < promotion(alpha)["score"]
    for guest in (alpha, bravo):
        guest.run(["drbdsetup", "disk-options", "0", f"--resync-rate={drbd.RESYNC_RATE}"],
                  check=True)
    drbd.wait_proc_drbd(bravo, lambda t: drbd.disk_states(t) == ("UpToDate", "UpToDate"), 120,
                        "resync done")
    assert run_agent(bravo, "monitor", MONITOR).rc == 0


def test_diskless_after_detach_is_degraded_and_never_outranks_a_disk(guests) -> None:
    alpha, bravo = guests
    start_both(alpha, bravo)
    bravo.run(["drbdadm", "detach", RESOURCE], check=True)
    drbd.wait_proc_drbd(bravo, lambda t: (drbd.disk_states(t) or ("",))[0] == "Diskless", 30,
                        "diskless")
    detached, peer = run_agent(bravo, "monitor", MONITOR), run_agent(alpha, "monitor", MONITOR)
    assert detached.rc == 190 and "local disk is Diskless" in exit_reason(detached)
    assert peer.rc == 190 and "Diskless" in exit_reason(peer)
    assert promotion(bravo)["score"] < promotion(alpha)["score"]
    assert run_agent(bravo, "stop").rc == 0
    assert "cs:" not in proc_state(bravo)


def test_split_brain_is_reported_and_never_resolved_by_discarding_data(guests) -> None:
    """Both sides were Primary while apart: notify's reconnect must not throw either side's
    writes away; DRBD refuses to connect and both stay degraded until a human decides."""
    alpha, bravo = guests
    start_both(alpha, bravo, **MOUNT)
    for guest in (alpha, bravo):
        guest.run(["drbdadm", "disconnect", RESOURCE], check=True)
    for guest in (alpha, bravo):
        assert run_agent(guest, "promote", **MOUNT).rc == 0
        guest.write_file(f"{MOUNTPOINT}/{guest.name}.txt", f"only on {guest.name}\n")
        guest.run(["sync"], check=True)
        assert run_agent(guest, "demote", **MOUNT).rc == 0
    meta = {**PROMOTABLE, "notify_type": "post", "notify_operation": "start",
            "notify_start_resource": "drbd:1", "notify_start_uname": "alpha"}
    for guest in (alpha, bravo):
        assert run_agent(guest, "notify", {**meta, "on_node": guest.name}).rc == 0
    # The side that detects the split brain drops the connection (StandAlone); the other
    # keeps waiting for one (WFConnection). Which side is which depends on timing.
    cstates = {}
    for guest in (alpha, bravo):
        drbd.wait_proc_drbd(guest, lambda t: drbd.connection_state(t) in ("StandAlone",
                                                                          "WFConnection"),
                            30, "split brain detected")
        cstates[guest.name] = drbd.connection_state(proc_state(guest))
    assert "StandAlone" in cstates.values()
    for guest in (alpha, bravo):
        monitored = run_agent(guest, "monitor", MONITOR)
        assert monitored.rc == 190 and "disconnected" in exit_reason(monitored)
        assert run_agent(guest, "promote", **MOUNT).rc == 0   # each still has its own data
        assert guest.run(["cat", f"{MOUNTPOINT}/{guest.name}.txt"],
                         check=True).stdout == f"only on {guest.name}\n"
        assert run_agent(guest, "demote", **MOUNT).rc == 0
    # The human's decision: bravo's writes go, alpha's stay.
    for guest in (alpha, bravo):
        guest.run(["drbdadm", "disconnect", RESOURCE])
    bravo.run(["drbdadm", "connect", "--discard-my-data", RESOURCE], check=True)
    alpha.run(["drbdadm", "connect", RESOURCE], check=True)
    drbd.wait_proc_drbd(bravo, lambda t: drbd.disk_states(t) == ("UpToDate", "UpToDate")
                        and drbd.connection_state(t) == "Connected", 60, "resolved")


def test_notify_after_a_peer_start_reconnects(guests) -> None:
    alpha, bravo = guests
    start_both(alpha, bravo)
    bravo.run(["drbdadm", "disconnect", RESOURCE], check=True)
    assert run_agent(alpha, "monitor", MONITOR).rc == 190
    meta = {**PROMOTABLE, "notify_type": "post", "notify_operation": "start",
            "notify_start_resource": "drbd:1", "notify_start_uname": "alpha",
            "on_node": "bravo"}
    assert run_agent(bravo, "notify", meta).rc == 0
    drbd.wait_proc_drbd(bravo, lambda t: drbd.connection_state(t) == "Connected", 30,
                        "reconnected")


def test_stop_unmounts_even_when_a_process_holds_the_mount(guests) -> None:
    alpha, bravo = guests
    start_both(alpha, bravo, **MOUNT)
    assert run_agent(alpha, "promote", **MOUNT).rc == 0
    alpha.run(["sh", "-c", f"cd {MOUNTPOINT} && setsid sleep 300 >/dev/null 2>&1 &"],
              check=True)
    stopped = run_agent(alpha, "stop", **MOUNT)
    assert stopped.rc == 0, stopped.output
    assert MOUNTPOINT not in alpha.run(["cat", "/proc/mounts"], check=True).stdout
    assert "cs:" not in proc_state(alpha)


def test_start_refuses_a_plain_primitive(guests) -> None:
    alpha, _ = guests
    result = run_agent(alpha, "start", {"timeout": "60000"})
    assert result.rc == 6 and "promotable clone" in exit_reason(result)
    result = run_agent(alpha, "start", {**PROMOTABLE, "notify": "false"})
    assert result.rc == 6 and "notify=true" in exit_reason(result)


def test_ocf_tester_passes_on_real_drbd(guests) -> None:
    """With the peer up: alone, monitor would truthfully answer 190 (peer disconnected)."""
    alpha, bravo = guests
    assert run_agent(bravo, "start").rc == 0
    options = [f"drbd_resource={RESOURCE}", "wfc_timeout=10",
               *(f"CRM_meta_{k}={v}" for k, v in PROMOTABLE.items() if k != "timeout")]
    done = alpha.run(["ocf-tester", "-n", "drbd-r0",
                      *[arg for option in options for arg in ("-o", option)], AGENT],
                     timeout=300)
    assert done.rc == 0, done.output
    assert "passed all tests" in done.stdout
