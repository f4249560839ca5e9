"""Debian's own kernel, unpacked into a cache outside the checkout, for the qemu guests.

The host kernel has no DRBD and loads no modules; Debian's kernel package carries DRBD 8.4
in-tree. We fetch the image package that `linux-image-amd64` points at with `apt-get download`
(no install: the host's /boot and /lib/modules are never touched), unpack it with `dpkg-deb -x`,
decompress any compressed modules and run `depmod -b` on the unpacked tree, so that both the
initramfs builder and the guest's own `modprobe` find modules.dep. The result is cached per
package version: a second run only asks apt-cache which version is current.
"""

from __future__ import annotations

import fcntl
import lzma
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

META_PACKAGE = "linux-image-amd64"
# Written last; its name changes whenever the cached layout does (v2: vmlinux added).
COMPLETE_MARK = ".complete-v2"


class KernelUnavailable(RuntimeError):
    """The kernel cannot be had here (no package lists, no registry, no space): skip, not fail."""


def cache_root() -> str:
    return os.environ.get("PYHA_LAB_CACHE") or "/var/cache/pyha-lab"


@dataclass(frozen=True)
class Kernel:
    package: str           # linux-image-6.1.0-56-amd64
    version: str           # the Debian package version, 6.1.192-2
    release: str           # what `uname -r` says in the guest, 6.1.0-56-amd64
    root: str              # the unpacked package (boot/, lib/modules/<release>/)
    downloaded: bool       # False when it came from the cache

    @property
    def vmlinuz(self) -> str:
        return os.path.join(self.root, "boot", f"vmlinuz-{self.release}")

    @property
    def vmlinux(self) -> str:
        """The uncompressed ELF kernel, which qemu boots directly (PVH entry point).

        Under TCG, the bzImage's own xz decompressor takes ~3.5 s of each boot; the host's
        lzma does it once in ~0.7 s."""
        return os.path.join(self.root, "boot", f"vmlinux-{self.release}")

    @property
    def modules_dir(self) -> str:
        return os.path.join(self.root, "lib", "modules", self.release)

    def module_path(self, name: str) -> str:
        """Absolute path of a module by name (`9pnet_virtio`, `drbd`), from modules.dep."""
        return os.path.join(self.modules_dir, module_index(self.modules_dir)[normalize(name)][0])

    def modules_in_load_order(self, names: list[str]) -> list[str]:
        """The modules (relative paths) needed for `names`, each after its dependencies."""
        index = module_index(self.modules_dir)
        ordered: list[str] = []

        def visit(path: str) -> None:
            if path in ordered:
                return
            for dependency in index[module_name(path)][1]:
                visit(dependency)
            ordered.append(path)

        for name in names:
            visit(index[normalize(name)][0])
        return ordered


def normalize(name: str) -> str:
    return name.replace("-", "_")


def module_name(path: str) -> str:
    base = os.path.basename(path)
    return normalize(base[:base.index(".ko")])


def module_index(modules_dir: str) -> dict[str, tuple[str, list[str]]]:
    """{module name: (relative path, [relative paths of its direct dependencies])}."""
    index: dict[str, tuple[str, list[str]]] = {}
    with open(os.path.join(modules_dir, "modules.dep")) as dep:
        for line in dep:
            path, _, dependencies = line.partition(":")
            index[module_name(path)] = (path, dependencies.split())
    return index


def current_package() -> tuple[str, str]:
    """(image package, version) that linux-image-amd64's candidate depends on today.

    One apt-cache call (~0.7 s): the meta package pins the image's exact version."""
    argv = ["apt-cache", "show", "--no-all-versions", META_PACKAGE]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise KernelUnavailable(f"{argv[0]}: {err}") from err
    found = re.search(r"^Depends:.*?\b(linux-image-[0-9][^\s,]*) \(= ([^)\s]+)\)",
                      done.stdout, re.MULTILINE)
    if done.returncode != 0 or not found:
        raise KernelUnavailable(f"{' '.join(argv)} (rc {done.returncode}) names no kernel image: "
                                f"{(done.stderr or done.stdout).strip()[:300]}")
    return found.group(1), found.group(2)


@contextmanager
def _locked(directory: str) -> Iterator[None]:
    """One unpacker at a time per cache: parallel runs wait, then reuse its work."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_kernel(cache: str | None = None) -> Kernel:
    """The current Debian kernel, unpacked and depmod'ed in the cache (downloaded if absent)."""
    base = os.path.join(cache or cache_root(), "kernel")
    package, version = current_package()
    release = package.removeprefix("linux-image-")
    root = os.path.join(base, f"{package}_{version}")
    if os.path.exists(os.path.join(root, COMPLETE_MARK)):
        return Kernel(package, version, release, root, downloaded=False)
    with _locked(base):
        if os.path.exists(os.path.join(root, COMPLETE_MARK)):
            return Kernel(package, version, release, root, downloaded=False)
        _download_and_unpack(package, version, release, base, root)
    return Kernel(package, version, release, root, downloaded=True)


def _download_and_unpack(package: str, version: str, release: str, base: str,
                         root: str) -> None:
    scratch = tempfile.mkdtemp(prefix=".unpack-", dir=base)
    try:
        # apt drops privileges to _apt for downloads; a root-only scratch dir makes it warn.
        os.chmod(scratch, 0o755)
        done = subprocess.run(["apt-get", "download", "-q", f"{package}={version}"],
                              cwd=scratch, capture_output=True, text=True, timeout=600)
        debs = [name for name in os.listdir(scratch) if name.endswith(".deb")]
        if done.returncode != 0 or len(debs) != 1:
            raise KernelUnavailable(f"apt-get download {package}={version} failed "
                                    f"(rc {done.returncode}): {done.stderr.strip()[-400:]}")
        tree = os.path.join(scratch, "tree")
        subprocess.run(["dpkg-deb", "-x", os.path.join(scratch, debs[0]), tree], check=True,
                       capture_output=True)
        modules_dir = os.path.join(tree, "lib", "modules", release)
        if not os.path.isdir(modules_dir):
            raise KernelUnavailable(f"{package} has no lib/modules/{release}")
        _decompress_modules(modules_dir)
        _extract_vmlinux(os.path.join(tree, "boot", f"vmlinuz-{release}"),
                         os.path.join(tree, "boot", f"vmlinux-{release}"))
        subprocess.run(["depmod", "-b", tree, release], check=True, capture_output=True)
        if os.path.exists(root):
            shutil.rmtree(root)
        os.rename(tree, root)
        open(os.path.join(root, COMPLETE_MARK), "w").close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _decompress_modules(modules_dir: str) -> None:
    """.ko.xz → .ko: busybox insmod in the initramfs then needs no xz support.

    Debian 12's kernels ship plain .ko files; later ones compress them."""
    for directory, _, files in os.walk(modules_dir):
        for name in files:
            if name.endswith(".ko.xz"):
                packed = os.path.join(directory, name)
                with lzma.open(packed) as source, open(packed[:-3], "wb") as target:
                    shutil.copyfileobj(source, target)
                os.unlink(packed)


XZ_MAGIC = b"\xfd7zXZ\x00"


def _extract_vmlinux(bzimage: str, vmlinux: str) -> None:
    """The ELF kernel inside an xz-compressed bzImage (Debian's CONFIG_KERNEL_XZ)."""
    with open(bzimage, "rb") as image:
        data = image.read()
    start = data.find(XZ_MAGIC)
    if start < 0:
        raise KernelUnavailable(f"{bzimage} is not an xz-compressed bzImage")
    # The stream is followed by the setup code's trailer: a decompressor object stops at the
    # stream's end where lzma.decompress() would fail on the trailing bytes.
    elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[start:])
    if not elf.startswith(b"\x7fELF"):
        raise KernelUnavailable(f"{bzimage}: the xz stream holds no ELF kernel")
    with open(vmlinux, "wb") as target:
        target.write(elf)
