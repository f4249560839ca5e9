"""Two qemu guests on a private link: the lab's tier for real kernel modules such as DRBD.

    with VmPair() as pair:
        alpha, bravo = pair.guests
        alpha.run(["modprobe", "drbd"], check=True)

Both guests boot in parallel; `boot_seconds` says how long the pair took from nothing (kernel
download included on a cold cache, see `kernel_downloaded`). Everything a pair creates lives in
one temporary directory named after the creating pid; `close()` kills qemu and removes it, on
failure or interrupt too, and `sweep_stale()` removes what a killed run left behind.

`power_off(name)` is a power cut (qemu killed); `power_on(name)` boots that guest again with the
same address, link and disk, as a cluster lab needs for a node kill and a fence reboot.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

from tests.lab.vm.guest import Guest, GuestError, GuestSpec
from tests.lab.vm.initramfs import build_initramfs
from tests.lab.vm.kernel import Kernel, ensure_kernel

SUBNET = "192.168.77"
DIR_PREFIX = "pyha-vm-"
T = TypeVar("T")


def choose_accel() -> str:
    """KVM only where the CPU offers hardware virtualisation (vmx/svm); else TCG.

    Trying KVM is not cheap to get wrong: on a host whose /dev/kvm is backed by kvm_pvm (no
    vmx/svm flag), qemu aborts with `-cpu max` or `-cpu host` ("failed to set MSR 0x10a") and
    Debian's kernel prints nothing in 30 s with `-cpu kvm64`/`qemu64`. The flag check costs
    nothing. PYHA_LAB_ACCEL=tcg|kvm overrides."""
    forced = os.environ.get("PYHA_LAB_ACCEL")
    if forced:
        return forced
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    hardware = "vmx" in flags or "svm" in flags
    return "kvm" if hardware and os.access("/dev/kvm", os.R_OK | os.W_OK) else "tcg"


def free_udp_ports(count: int) -> list[int]:
    """Ports free right now on 127.0.0.1 (qemu binds them a moment later)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def sweep_stale() -> list[str]:
    """Remove pair directories whose creating process is gone (qemu died with it: pdeathsig)."""
    removed = []
    base = tempfile.gettempdir()
    for name in os.listdir(base):
        pid = name[len(DIR_PREFIX):].split("-")[0]
        if name.startswith(DIR_PREFIX) and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
            removed.append(name)
    return removed


class VmPair:
    """Two guests, `alpha` (192.168.77.1) and `bravo` (.2). Use as a context manager."""

    def __init__(self, names: Sequence[str] = ("alpha", "bravo"), *, disk_mib: int = 64,
                 memory_mib: int = 512, boot_timeout: float = 180) -> None:
        self.names = list(names)
        self.disk_mib = disk_mib
        self.memory_mib = memory_mib
        self.boot_timeout = boot_timeout
        self.guests: list[Guest] = []
        self.dir = ""
        self.accel = choose_accel()
        self.kernel: Kernel | None = None
        self.initramfs = ""
        self.kernel_seconds = 0.0      # finding (or downloading and unpacking) the kernel
        self.boot_seconds = 0.0        # from __enter__ to both agents answering
        # Per guest, files that outlive a reboot (what /etc on a real disk would keep); a
        # guest's own root is a tmpfs overlay, lost with every power cut.
        self.kept_files: dict[str, dict[str, tuple[str, int]]] = {}

    def __enter__(self) -> VmPair:
        started = time.monotonic()
        try:
            self.dir = tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-")
            self.kernel = ensure_kernel()
            self.initramfs = build_initramfs(self.kernel)
            self.kernel_seconds = time.monotonic() - started
            self._boot(self.kernel, self.initramfs)
        except BaseException:
            self.close()
            raise
        self.boot_seconds = time.monotonic() - started
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def kernel_downloaded(self) -> bool:
        return self.kernel is not None and self.kernel.downloaded

    def _specs(self) -> list[GuestSpec]:
        if len(self.names) != 2:
            raise ValueError("a UDP socket link joins exactly two guests")
        ports = free_udp_ports(2)
        return [GuestSpec(name=name, address=f"{SUBNET}.{number}/24",
                          mac=f"52:54:00:77:00:{number:02x}", local_port=ports[number - 1],
                          peer_port=ports[2 - number], disk_mib=self.disk_mib,
                          memory_mib=self.memory_mib)
                for number, name in enumerate(self.names, start=1)]

    def _boot(self, kernel: Kernel, initramfs: str, attempts: int = 3) -> None:
        """Start both guests and wait for their agents.

        The UDP ports were free when picked but could be taken before qemu binds them: that
        attempt then fails at once, and another one with fresh ports follows."""
        for attempt in range(1, attempts + 1):
            self._start_guests(kernel, initramfs)
            try:
                self.parallel(lambda guest: guest.wait_ready(self.boot_timeout))
                return
            except GuestError:
                if attempt == attempts or not any(guest.port_clash() for guest in self.guests):
                    raise
                self._stop_guests()

    def _start_guests(self, kernel: Kernel, initramfs: str) -> None:
        # Started here, in the calling thread: pdeathsig follows the thread that forked qemu.
        for spec in self._specs():
            directory = os.path.join(self.dir, spec.name)
            os.mkdir(directory)
            guest = Guest(spec, directory)
            self.guests.append(guest)
            guest.start(kernel, initramfs, self.accel)

    def _stop_guests(self) -> None:
        for guest in self.guests:
            try:
                guest.close()
            except (OSError, GuestError, subprocess.SubprocessError):
                pass
            shutil.rmtree(guest.dir, ignore_errors=True)
        self.guests.clear()

    def parallel(self, action: Callable[[Guest], T]) -> list[T]:
        """action(guest) on every guest at once; results in guest order.

        The first failure (or an interrupt) returns at once instead of waiting for the other
        guests: the caller then closes the pair, which ends whatever is still waiting."""
        pool = ThreadPoolExecutor(len(self.guests))
        try:
            futures = [pool.submit(action, guest) for guest in self.guests]
            wait(futures, return_when=FIRST_EXCEPTION)
            return [future.result() for future in futures]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def guest(self, name: str) -> Guest:
        for guest in self.guests:
            if guest.name == name:
                return guest
        raise KeyError(name)

    def power_off(self, name: str) -> None:
        """A power cut: qemu is killed, nothing in the guest gets a say. The disk file stays."""
        self.guest(name).close()

    def power_on(self, name: str) -> Guest:
        """Boot a powered-off guest again: same spec (address, link ports), same disk.

        Returns the new Guest, which replaces the old one in `guests` before it boots, so
        close() kills it even mid-boot. qemu's pdeathsig follows the calling *thread*: call this
        from one that outlives the guest. The previous boot's console log is kept as
        console.log.1. The link ports are the ones the peer still sends to: should another
        process have taken ours meanwhile, qemu fails and so does this."""
        old = self.guest(name)
        if old.running:
            return old
        assert self.kernel is not None and self.initramfs, "the pair was not booted"
        old.close()
        if os.path.exists(old.console_log):
            os.replace(old.console_log, old.console_log + ".1")
        guest = Guest(old.spec, old.dir)
        guest.on_call = old.on_call
        self.guests[self.guests.index(old)] = guest
        guest.start(self.kernel, self.initramfs, self.accel)
        guest.wait_ready(self.boot_timeout)
        for path, (text, mode) in self.kept_files.get(name, {}).items():
            guest.write_file(path, text, mode)
        return guest

    def keep_file(self, name: str, path: str, text: str, mode: int = 0o644) -> None:
        """Write a file into the guest now and again after every boot."""
        self.kept_files.setdefault(name, {})[path] = (text, mode)
        self.guest(name).write_file(path, text, mode)

    def cut_link(self, name: str) -> None:
        """Drop every packet the guest's link carries, both ways, with the link itself up: a
        partition as a dead switch makes it, not a pulled cable (which agents notice locally).
        A reboot of the guest heals its side, as a real reboot would flush such rules."""
        guest = self.guest(name)
        for argv in (["tc", "qdisc", "add", "dev", "eth0", "ingress"],
                     ["tc", "filter", "add", "dev", "eth0", "ingress", "matchall",
                      "action", "drop"],
                     ["tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "prio"],
                     ["tc", "filter", "add", "dev", "eth0", "parent", "1:", "matchall",
                      "action", "drop"]):
            guest.run(argv, check=True)

    def heal_link(self, name: str) -> None:
        guest = self.guest(name)
        for qdisc in ("ingress", "root"):
            guest.run(["tc", "qdisc", "del", "dev", "eth0", qdisc])

    def close(self) -> None:
        self._stop_guests()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = ""

    def logs(self, dmesg: bool = False) -> str:
        return "\n".join(guest.logs(dmesg=dmesg) for guest in self.guests)
