"""A small busybox initramfs: just enough to mount the host's root over virtio-9p.

Contents: a static busybox (Debian's busybox-static), /init (initramfs_init.sh) and the modules
for virtio, 9p and overlayfs from the unpacked kernel, numbered in dependency order (read from
modules.dep) so that /init can insmod them with a glob. Written as an uncompressed newc cpio by
the standard library: no cpio tool needed, and the guest kernel spends no time decompressing.
Cached next to the kernel, keyed by a hash of everything that goes in.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile

from tests.lab.vm.kernel import Kernel

HERE = os.path.dirname(os.path.abspath(__file__))
INIT_SCRIPT = os.path.join(HERE, "initramfs_init.sh")
BUSYBOX = "/bin/busybox"

# What /init needs before the host root is reachable; everything else the guest loads itself
# with modprobe from the module tree mounted at /lib/modules.
BOOT_MODULES = ["virtio_pci", "virtio_blk", "virtio_net", "virtio_console", "9pnet_virtio",
                "9p", "overlay"]


class CpioWriter:
    """newc ("070701") archive entries, as the kernel's initramfs unpacker reads them."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.inode = 1

    def _entry(self, name: str, mode: int, body: bytes = b"") -> None:
        encoded = name.encode() + b"\0"
        fields = [self.inode, mode, 0, 0, 1, 0, len(body), 0, 0, 0, 0, len(encoded), 0]
        self.inode += 1
        self.data += b"070701" + b"".join(b"%08X" % value for value in fields) + encoded
        self._pad()
        self.data += body
        self._pad()

    def _pad(self) -> None:
        self.data += b"\0" * (-len(self.data) % 4)

    def directory(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, body: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, body)

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return bytes(self.data)


def _read(path: str) -> bytes:
    with open(path, "rb") as source:
        return source.read()


def build_initramfs(kernel: Kernel) -> str:
    """Path of the cached initramfs for this kernel and this checkout's /init."""
    modules = kernel.modules_in_load_order(BOOT_MODULES)
    parts = [("init", _read(INIT_SCRIPT)), ("busybox", _read(BUSYBOX))]
    parts += [(path, _read(os.path.join(kernel.modules_dir, path))) for path in modules]
    digest = hashlib.sha256()
    for name, body in parts:
        digest.update(name.encode() + b"\0" + hashlib.sha256(body).digest())
    target = os.path.join(kernel.root, f"initramfs-{digest.hexdigest()[:16]}.cpio")
    if os.path.exists(target):
        return target
    archive = CpioWriter()
    for directory in ("bin", "modules"):
        archive.directory(directory)
    archive.file("init", parts[0][1], 0o755)
    archive.file("bin/busybox", parts[1][1], 0o755)
    for number, (path, body) in enumerate(parts[2:]):
        archive.file(f"modules/{number:02d}-{os.path.basename(path)}", body)
    handle, scratch = tempfile.mkstemp(prefix=".initramfs-", dir=kernel.root)
    with os.fdopen(handle, "wb") as output:
        output.write(archive.finish())
    os.chmod(scratch, 0o644)
    os.rename(scratch, target)  # atomic: a parallel run sees all of it or none
    return target
