"""MooseFS cells for tests: configuration files, data directories, chunkservers and mounts.

A chunkserver refuses a master on 127.x, so a `Cell` lives in its own network namespace with a
non-loopback address on its `lo`; the default MooseFS ports are then free by construction.
Clients mount with `nsenter --net` (`ip netns exec` would give mfsmount a private mount
namespace, hiding the mount from the test) and `mfsioretries=3`, so I/O fails within seconds
instead of hanging while no master answers. Everything is removed on exit, even on failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence

from tests.lab.netns import sh, unique_name

EMPTY_METADATA = "/var/lib/mfs/metadata.mfs.empty"
MFS_USER = "mfs"


def master_config(data_path: str, exports: str, listen: str = "*", ident: str = "pyha-mfs") -> str:
    return (f"DATA_PATH = {data_path}\nEXPORTS_FILENAME = {exports}\n"
            f"TOPOLOGY_FILENAME = {exports}.topology\n"
            f"MATOML_LISTEN_HOST = {listen}\nMATOCS_LISTEN_HOST = {listen}\n"
            f"MATOCL_LISTEN_HOST = {listen}\nSYSLOG_IDENT = {ident}\n"
            # the master answers within a second of a (re)start: no replication warm-up delay
            "REPLICATIONS_DELAY_INIT = 0\n"
            # the changelog on disk before a client is answered, as the recipe has it
            "CHANGELOG_SAVE_MODE = 2\n")


def write(path: str, text: str) -> str:
    with open(path, "w") as out:
        out.write(text)
    return path


def make_data_dir(path: str, metadata: bool = False) -> str:
    """A data directory owned by the mfs user; with `metadata`, a new empty filesystem."""
    os.makedirs(path, exist_ok=True)
    if metadata:
        shutil.copy(EMPTY_METADATA, os.path.join(path, "metadata.mfs"))
    sh(["chown", "-R", f"{MFS_USER}:{MFS_USER}", path])
    return path


def write_exports(path: str) -> str:
    write(f"{path}.topology", "")
    return write(path, "* / rw,alldirs,maproot=0\n")


class Cell:
    """A network namespace with an address on lo, and the MooseFS pieces a test puts in it."""

    def __init__(self, address: str = "10.79.0.1", netns: str | None = None) -> None:
        """A namespace of its own, or (`netns`) a host of a Lan whose address is `address`:
        then the namespace is the Lan's to remove, and only what runs in it is killed."""
        self.address = address
        self.owns_netns = netns is None
        self.netns = netns or unique_name("mfs")
        self.dir = tempfile.mkdtemp(prefix="pyha-mfs-")
        os.chmod(self.dir, 0o755)
        self.exports = write_exports(os.path.join(self.dir, "mfsexports.cfg"))
        self.mounts: list[str] = []

    def __enter__(self) -> Cell:
        if not self.owns_netns:
            return self
        try:
            sh(["ip", "netns", "add", self.netns])
            self.run(["ip", "link", "set", "lo", "up"])
            self.run(["ip", "addr", "add", f"{self.address}/32", "dev", "lo"])
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    def run(self, argv: Sequence[str], check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess:
        return sh(["ip", "netns", "exec", self.netns, *argv], check=check, timeout=timeout)

    # Pieces -------------------------------------------------------------------------------------

    def master_config(self, name: str, data_path: str) -> str:
        return write(self.path(f"{name}.cfg"),
                     master_config(data_path, self.exports, self.address, f"pyha-{name}"))

    def start_chunkserver(self, master: str | None = None, name: str = "cs") -> None:
        chunks = make_data_dir(self.path(f"{name}-chunks"))
        hdd = write(self.path(f"{name}-hdd.cfg"), f"{chunks}\n")
        config = write(self.path(f"{name}.cfg"),
                       f"DATA_PATH = {make_data_dir(self.path(f'{name}-data'))}\n"
                       f"HDD_CONF_FILENAME = {hdd}\nMASTER_HOST = {master or self.address}\n"
                       f"BIND_HOST = {self.address}\nCSSERV_LISTEN_HOST = {self.address}\n"
                       f"SYSLOG_IDENT = pyha-{name}\nMASTER_RECONNECTION_DELAY = 1\n")
        self.run(["mfschunkserver", "-c", config, "start"])

    def mount(self, master: str | None = None, name: str = "mnt") -> str:
        point = self.path(name)
        os.makedirs(point, exist_ok=True)
        sh(["nsenter", f"--net=/run/netns/{self.netns}", "mfsmount", point,
            "-H", master or self.address, "-o", "mfsioretries=3"])
        self.mounts.append(point)
        return point

    def chunkservers(self, master: str | None = None) -> int:
        """How many chunkservers the master at `master` counts as connected with disk space
        (a chunkserver reports its space a moment after it connects; writes fail until then)."""
        done = self.run(["mfscli", "-H", master or self.address, "-SCS"], check=False)
        return chunkservers_with_space(done.stdout)

    def wait_for_chunkservers(self, count: int = 1, master: str | None = None,
                              timeout: float = 20) -> None:
        wait_until(lambda: self.chunkservers(master) >= count, timeout,
                   f"{count} chunkserver(s) connected")

    # Clean-up ---------------------------------------------------------------------------------

    def unmount_all(self) -> None:
        for point in reversed(self.mounts):
            if sh(["umount", point], check=False).returncode != 0:
                sh(["umount", "-l", point], check=False)  # a master that is gone: lab cleanup
        self.mounts.clear()

    def close(self) -> None:
        self.unmount_all()
        pids = sh(["ip", "netns", "pids", self.netns], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in pids:
            wait_until(lambda pid=pid: not os.path.exists(f"/proc/{pid}"), 10, f"pid {pid} gone")
        if self.owns_netns:
            sh(["ip", "netns", "del", self.netns], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def chunkservers_with_space(mfscli_scs: str) -> int:
    """Chunkservers with disk space in the output of `mfscli -SCS`."""
    return sum(1 for fields in (line.split("\t") for line in mfscli_scs.splitlines())
               if fields[0].startswith("chunk servers:") and len(fields) > 10 and fields[10] != "0")


def wait_until(condition, timeout: float, what: str, interval: float = 0.1) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not reached within {timeout:.0f}s")
        time.sleep(interval)
    return time.monotonic() - started


def write_synced(path: str, data: bytes, timeout: float = 20) -> None:
    """Write and fsync a file on a MooseFS mount, in a child killed at `timeout`: a client
    whose master is gone can block in ways no signal but KILL ends."""
    done = subprocess.run(
        ["timeout", "-s", "KILL", str(timeout), "python3", "-c",
         "import os, sys\n"
         "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
         "os.write(fd, sys.stdin.buffer.read())\nos.fsync(fd)\nos.close(fd)\n", path],
        input=data, capture_output=True)
    if done.returncode != 0:
        raise AssertionError(f"writing {path} failed ({done.returncode}): "
                             f"{done.stderr.decode(errors='replace')[-500:]}")


def read_file(path: str, timeout: float = 20) -> bytes:
    done = subprocess.run(["timeout", "-s", "KILL", str(timeout), "cat", path],
                          capture_output=True, check=True)
    return done.stdout


def initialise_metadata(cell: Cell, data_path: str) -> None:
    """A new filesystem whose metadata a metalogger accepts: a master must have stored
    metadata.mfs once (start and stop), "MFSM NEW" alone is never downloaded."""
    make_data_dir(data_path, metadata=True)
    config = cell.master_config("initialise", data_path)
    cell.run(["mfsmaster", "-c", config, "start"])
    cell.run(["mfsmaster", "-c", config, "stop"])


def read_when_served(path: str, timeout: float = 60) -> bytes:
    """A file's content once the client can read it again: after a master change the client
    reconnects and the chunkservers re-register, and reads fail (EIO, mfsioretries) until then."""
    started = time.monotonic()
    while True:
        try:
            return read_file(path, timeout=3)
        except subprocess.CalledProcessError:
            if time.monotonic() - started > timeout:
                raise
            time.sleep(0.1)
