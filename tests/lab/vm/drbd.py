"""DRBD 8.4 on a VmPair: configuration, state polling and state snapshots.

drbd-utils 9 on the host (seen by the guests over 9p) drives the guests' in-tree 8.4 module
through its `-84` compat tools; `drbdadm` picks them itself from /proc/drbd's version line.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from tests.lab.vm.guest import Guest, GuestError, Result

# The guests are fresh kernels with nothing else listening: any port is free there.
DEFAULT_PORT = 7789
RESYNC_RATE = "400M"
GLOBAL_COMMON = "global {\n    usage-count no;\n}\ncommon {\n}\n"
_DSTATE = re.compile(r"\bds:(\w+)/(\w+)")
_CSTATE = re.compile(r"\bcs:(\w+)")
_ROLE = re.compile(r"\bro:(\w+)/(\w+)")

# What a snapshot records, as the DRBD parser tests will read them back.
SNAPSHOT_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("cat", "/proc/drbd"),
    ("drbdadm", "status", "{resource}"),
    ("drbdsetup", "events2", "--now", "{resource}"),
    ("drbdadm", "role", "{resource}"),
    ("drbdadm", "dstate", "{resource}"),
    ("drbdadm", "cstate", "{resource}"),
)


# DRBD's own guard for a cluster: on losing the peer a Primary freezes I/O and asks Pacemaker,
# through the handler, to forbid promotion anywhere else until the peer is fenced or resynced.
CRM_FENCING = ("        fencing resource-and-stonith;\n",
               "    handlers {\n"
               "        fence-peer \"/usr/lib/drbd/crm-fence-peer.sh\";\n"
               "        after-resync-target \"/usr/lib/drbd/crm-unfence-peer.sh\";\n"
               "    }\n")


def resource_config(name: str, guests: Sequence[Guest], *, disk: str = "/dev/vda",
                    minor: int = 0, port: int = DEFAULT_PORT, protocol: str = "C",
                    crm_fencing: bool = False) -> str:
    """An 8.4 resource on each guest's virtio disk with internal metadata; with `crm_fencing`,
    the `resource-and-stonith` policy and the crm-fence-peer handlers of a Pacemaker set-up.

    A fixed resync rate (c-plan-ahead 0) instead of the dynamic controller, which starts slow:
    the initial sync of a small disk is then bound by TCG, not by DRBD's ramp-up. connect-int
    1 s instead of 10: when both sides connect at the same moment, 8.4 drops both sockets and
    retries only after connect-int, which made bringing the pair up take ~12 s."""
    fencing, handlers = CRM_FENCING if crm_fencing else ("", "")
    hosts = "".join(
        f"    on {guest.name} {{\n        device /dev/drbd{minor};\n        disk {disk};\n"
        f"        address {guest.ip}:{port};\n        meta-disk internal;\n    }}\n"
        for guest in guests)
    return (f"resource {name} {{\n    protocol {protocol};\n"
            f"    disk {{\n        c-plan-ahead 0;\n        resync-rate {RESYNC_RATE};\n"
            f"{fencing}    }}\n"
            "    net {\n        connect-int 1;\n    }\n"
            f"{handlers}{hosts}}}\n")


def config_files(resource: str, text: str) -> dict[str, str]:
    """The guest's private /etc/drbd.d (the overlay keeps the host's /etc untouched)."""
    return {"/etc/drbd.d/global_common.conf": GLOBAL_COMMON,
            f"/etc/drbd.d/{resource}.res": text}


def install_config(guest: Guest, resource: str, text: str) -> None:
    for path, content in config_files(resource, text).items():
        guest.write_file(path, content)


def proc_drbd(guest: Guest) -> str:
    return guest.run(["cat", "/proc/drbd"], check=True).stdout


def disk_states(text: str) -> tuple[str, str] | None:
    """(local, peer) disk states of the first device in /proc/drbd text."""
    found = _DSTATE.search(text)
    return (found.group(1), found.group(2)) if found else None


def roles(text: str) -> tuple[str, str] | None:
    found = _ROLE.search(text)
    return (found.group(1), found.group(2)) if found else None


def connection_state(text: str) -> str | None:
    found = _CSTATE.search(text)
    return found.group(1) if found else None


def wait_proc_drbd(guest: Guest, condition: Callable[[str], bool], timeout: float,
                   what: str, interval: float = 0.2) -> float:
    """Poll /proc/drbd until condition(text); seconds it took."""
    started = time.monotonic()
    while True:
        text = proc_drbd(guest)
        if condition(text):
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise GuestError(f"{guest.name}: {what} not reached in {timeout:.0f}s:\n{text}")
        time.sleep(interval)


def snapshot(guest: Guest, resource: str) -> str:
    """Every SNAPSHOT_COMMANDS output with its exit code, in the drbd-samples text format."""
    parts = []
    for command in SNAPSHOT_COMMANDS:
        argv = [word.format(resource=resource) for word in command]
        result: Result = guest.run(argv, timeout=30)
        parts.append(f"$ {' '.join(argv)}\n{result.stdout}{result.stderr}"
                     f"[exit code {result.rc}]\n")
    return "\n".join(parts)


def save_snapshots(directory: str, number: int, state: str, guests: Sequence[Guest],
                   resource: str) -> list[str]:
    """<directory>/<NN>-<state>-<guest>.txt per guest; the guests are captured concurrently,
    so that both files describe (nearly) the same moment of a changing state."""
    os.makedirs(directory, exist_ok=True)
    with ThreadPoolExecutor(len(guests)) as pool:
        texts = list(pool.map(lambda guest: snapshot(guest, resource), guests))
    paths = []
    for guest, text in zip(guests, texts):
        path = os.path.join(directory, f"{number:02d}-{state}-{guest.name}.txt")
        with open(path, "w") as saved:
            saved.write(f"# state: {state}\n# host: {guest.name}\n\n{text}")
        paths.append(path)
    return paths


def bring_up_synced(pair, resource: str, mkfs: str | None = "ext4",
                    crm_fencing: bool = False, directories: Sequence[str] = (),
                    prepare: Callable[[Guest, str], None] | None = None) -> None:
    """`resource` created on both guests, fully synced, with a filesystem on it (holding
    `directories`, relative to its root, and whatever `prepare(guest, mount point)` puts there),
    then down on both: the state a freshly installed DRBD pair is in before the cluster takes
    over."""
    config = resource_config(resource, pair.guests, crm_fencing=crm_fencing)
    for guest in pair.guests:
        guest.run(["modprobe", "drbd"], check=True)
        for path, content in config_files(resource, config).items():
            pair.keep_file(guest.name, path, content)   # a fenced node reboots into its config
    pair.parallel(lambda g: g.run(["drbdadm", "create-md", resource], check=True))
    pair.parallel(lambda g: g.run(["drbdadm", "up", resource], check=True))
    first = pair.guests[0]
    wait_proc_drbd(first, lambda t: connection_state(t) == "Connected", 60, "connected")
    first.run(["drbdadm", "primary", "--force", resource], check=True)
    for guest in pair.guests:
        wait_proc_drbd(guest, lambda t: disk_states(t) == ("UpToDate", "UpToDate"), 300,
                       "UpToDate/UpToDate")
    if mkfs:
        first.run([f"mkfs.{mkfs}", "-q", "/dev/drbd0"], check=True)
    if directories or prepare:
        top = "/run/pyha-drbd-prepare"
        first.run(["mkdir", "-p", top], check=True)
        first.run(["mount", "/dev/drbd0", top], check=True)
        if directories:
            first.run(["mkdir", "-p", *(f"{top}/{path}" for path in directories)], check=True)
        if prepare:
            prepare(first, top)
        first.run(["umount", top], check=True)
    first.run(["drbdadm", "secondary", resource], check=True)
    pair.parallel(lambda g: g.run(["drbdadm", "down", resource], check=True))
