"""One qemu guest, seen from the host: its qemu process and its control channel.

The guest boots Debian's kernel with the lab initramfs, sees the host's root read-only over
virtio-9p (with a tmpfs overlay, so /etc is its own), has one raw disk file as virtio-blk
(/dev/vda) and one NIC on a private UDP link to its peer. Commands go over a virtio-serial port
whose host end is a Unix socket *we* listen on before qemu starts: qemu connects at start-up, so
no line the guest agent writes can be lost before we are there to read it.

The same channel carries calls the other way (see guest_init.py): a program in the guest asks,
`on_call` answers on the host. The lab's fence agent uses it to power its peer off.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tests.lab.vm.kernel import Kernel

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_INIT = os.path.join(HERE, "guest_init.py")
QEMU = "qemu-system-x86_64"
# Paths travel on the kernel command line, which splits on blanks and has no quoting.
_CMDLINE_SAFE = re.compile(r"[A-Za-z0-9_./+:-]+")
# Under TCG a busy guest answers late; the agent enforces the command's own timeout, this is
# only for a guest that died or hangs.
ANSWER_GRACE = 30.0


class GuestError(AssertionError):
    pass


@dataclass
class Result:
    argv: list[str]
    rc: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class GuestSpec:
    """What makes one guest of a pair different from the other."""

    name: str            # host name inside the guest, also used for files on the host
    address: str         # CIDR on eth0, e.g. 192.168.77.1/24
    mac: str
    local_port: int      # UDP port on 127.0.0.1 this guest's NIC listens on
    peer_port: int       # UDP port its frames go to (the peer's local_port)
    disk_mib: int = 64
    memory_mib: int = 512
    extra_args: list[str] = field(default_factory=list)

    @property
    def ip(self) -> str:
        return self.address.split("/")[0]


def kernel_cmdline_value(value: str) -> str:
    if not _CMDLINE_SAFE.fullmatch(value):
        raise ValueError(f"cannot pass {value!r} on the kernel command line")
    return value


def qemu_option_value(value: str) -> str:
    """A value inside qemu's key=value,key=value options: a comma is written twice."""
    return value.replace(",", ",,")


def qemu_argv(spec: GuestSpec, kernel: Kernel, initramfs: str, accel: str, directory: str,
              control_socket: str) -> list[str]:
    append = " ".join([
        "console=ttyS0", "quiet", "loglevel=4", "panic=-1", "mitigations=off",
        "tsc=reliable", "no_timer_check", "i8042.noaux", "i8042.nokbd", "random.trust_cpu=on",
        f"pyha.modules={kernel_cmdline_value(kernel.modules_dir)}",
        f"pyha.init={kernel_cmdline_value(GUEST_INIT)}",
        f"pyha.hostname={kernel_cmdline_value(spec.name)}",
        f"pyha.ip={kernel_cmdline_value(spec.address)}"])
    label = f"{os.path.basename(os.path.dirname(directory))}-{spec.name}"
    disk = qemu_option_value(os.path.join(directory, "disk.raw"))
    return [
        QEMU, "-name", label, "-nodefaults", "-no-user-config", "-nographic",
        "-no-reboot", "-machine", "pc", "-accel", accel, "-cpu", "max", "-smp", "1",
        "-m", str(spec.memory_mib),
        "-kernel", kernel.vmlinux, "-initrd", initramfs, "-append", append,
        "-serial", f"file:{os.path.join(directory, 'console.log')}",
        "-monitor", "none",
        "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
        "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
        "-drive", f"file={disk},format=raw,if=none,id=disk0,"
                  "cache=writeback,aio=threads",
        "-device", "virtio-blk-pci,drive=disk0,serial=pyha-disk0",
        "-netdev", f"socket,id=net0,udp=127.0.0.1:{spec.peer_port},"
                   f"localaddr=127.0.0.1:{spec.local_port}",
        "-device", f"virtio-net-pci,netdev=net0,mac={spec.mac},romfile=",
        "-chardev", f"socket,id=control,path={qemu_option_value(control_socket)}",
        "-device", "virtio-serial-pci",
        "-device", "virtserialport,chardev=control,name=pyha.ctl",
        *spec.extra_args]


class Guest:
    """A running guest. Created and started by VmPair; `run` is safe from several threads."""

    def __init__(self, spec: GuestSpec, directory: str) -> None:
        self.spec = spec
        self.name = spec.name
        self.dir = directory
        self.process: subprocess.Popen | None = None
        self._started = 0.0
        self.boot_seconds: float | None = None
        self.guest_uptime: float | None = None   # the guest kernel's own view of its boot
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._pending: dict[int, dict] = {}
        self._answered = threading.Condition()
        self._next_id = 0
        self._reader: threading.Thread | None = None
        self._hello: dict | None = None
        self._closed = False
        self._send_lock = threading.Lock()
        # Answers calls from the guest (request dict -> answer dict). It runs in a short-lived
        # thread: it must not start qemu itself, whose pdeathsig would follow that thread.
        self.on_call: Callable[[dict], dict] | None = None

    @property
    def ip(self) -> str:
        return self.spec.ip

    @property
    def running(self) -> bool:
        """qemu was started and has not exited."""
        return self.process is not None and self.process.poll() is None

    @property
    def console_log(self) -> str:
        return os.path.join(self.dir, "console.log")

    # Life cycle ---------------------------------------------------------------------------------

    def start(self, kernel: Kernel, initramfs: str, accel: str) -> None:
        """Create the disk, listen for qemu, start it. Returns at once; see wait_ready().

        A disk left by an earlier boot in the same directory is kept: a restarted guest finds
        its data as a power-cycled machine does."""
        disk_path = os.path.join(self.dir, "disk.raw")
        if not os.path.exists(disk_path):
            with open(disk_path, "wb") as disk:
                disk.truncate(self.spec.disk_mib * 1024 * 1024)
        control = os.path.join(self.dir, "control.sock")
        if os.path.exists(control):  # an earlier boot's socket
            os.unlink(control)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(control)
        self._listener.listen(1)
        argv = qemu_argv(self.spec, kernel, initramfs, accel, self.dir, control)
        with open(os.path.join(self.dir, "qemu.argv"), "w") as saved:
            json.dump(argv, saved)
        self._started = time.monotonic()
        # setpriv --pdeathsig: qemu dies with the test process even when that is SIGKILLed.
        with open(os.path.join(self.dir, "qemu.log"), "wb") as log:
            self.process = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", "--", *argv], stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float) -> float:
        """Seconds from qemu's start to the agent's hello."""
        assert self._listener is not None and self.process is not None
        deadline = self._started + timeout
        self._listener.settimeout(0.2)
        while self._conn is None:
            self._check_alive(deadline, "connect its control channel")
            try:
                self._conn, _ = self._listener.accept()
            except socket.timeout:
                continue
        self._reader = threading.Thread(target=self._read_answers, daemon=True,
                                        name=f"{self.name}-agent")
        self._reader.start()
        with self._answered:
            while self._hello is None:
                self._check_alive(deadline, "boot")
                self._answered.wait(0.2)
        self.boot_seconds = time.monotonic() - self._started
        self.guest_uptime = float(self._hello.get("uptime", 0.0))
        return self.boot_seconds

    def _check_alive(self, deadline: float, what: str) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise GuestError(f"{self.name}: qemu exited ({self.process.returncode}) before it "
                             f"could {what}\n{self.logs()}")
        if time.monotonic() > deadline:
            raise GuestError(f"{self.name}: did not {what} in time\n{self.logs()}")

    def _read_answers(self) -> None:
        assert self._conn is not None
        try:
            for line in self._conn.makefile("rb"):
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if "call" in message:
                    threading.Thread(target=self._answer_call, args=(message,), daemon=True,
                                     name=f"{self.name}-call").start()
                    continue
                with self._answered:
                    if "hello" in message:
                        self._hello = message
                    else:
                        self._pending[message.get("id")] = message
                    self._answered.notify_all()
        except OSError:
            pass  # closed under us: the guest is gone either way
        finally:
            with self._answered:
                self._closed = True
                self._answered.notify_all()

    def _answer_call(self, message: dict) -> None:
        handler = self.on_call
        try:
            answer = handler(message.get("request") or {}) if handler else \
                {"ok": False, "error": "nobody on the host answers calls"}
        except Exception as err:  # the guest's caller must get an answer whatever happened
            answer = {"ok": False, "error": repr(err)}
        try:
            self._send({"reply": message.get("call"), "answer": answer})
        except (OSError, GuestError):
            pass  # the guest is gone (it may have fenced itself)

    def _send(self, message: dict) -> None:
        """One line to the agent; a lock keeps lines from several threads whole."""
        conn = self._conn
        if conn is None:
            raise GuestError(f"{self.name} is not running")
        with self._send_lock:
            conn.sendall(json.dumps(message).encode() + b"\n")

    def close(self) -> None:
        """Kill qemu (a guest is disposable: no shutdown) and close our sockets."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=30)
        for sock in (self._conn, self._listener):
            if sock is not None:
                sock.close()
        self._conn = self._listener = None

    # Commands ---------------------------------------------------------------------------------

    def run(self, argv: Sequence[str], timeout: float = 60, input: str | None = None,
            check: bool = False) -> Result:
        """Run argv in the guest (no shell); rc, stdout and stderr come back."""
        with self._answered:
            self._next_id += 1
            request_id = self._next_id
        request = {"id": request_id, "argv": list(argv), "timeout": timeout}
        if input is not None:
            request["input"] = input
        self._send(request)
        deadline = time.monotonic() + timeout + ANSWER_GRACE
        with self._answered:
            while request_id not in self._pending:
                if self._closed or time.monotonic() > deadline:
                    raise GuestError(f"{self.name}: no answer to {list(argv)}\n{self.logs()}")
                self._answered.wait(0.5)
            answer = self._pending.pop(request_id)
        result = Result(list(argv), answer["rc"], answer["stdout"], answer["stderr"],
                        answer.get("timed_out", False))
        if check and (result.rc != 0 or result.timed_out):
            raise GuestError(f"{self.name}: {result.argv} exited {result.rc}"
                             f"{' (timed out)' if result.timed_out else ''}:\n{result.output}")
        return result

    def write_file(self, path: str, text: str, mode: int = 0o644) -> None:
        """Write text to a file in the guest (its /etc is a private overlay layer)."""
        # A constant script: the path arrives as a positional argument, never spliced in.
        self.run(["sh", "-c", 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"',
                  "sh", path, format(mode, "o")], input=text, check=True)

    def port_clash(self) -> bool:
        """qemu could not bind its UDP port: someone took it after it was picked."""
        try:
            with open(os.path.join(self.dir, "qemu.log"), errors="replace") as log:
                return "Address already in use" in log.read()
        except OSError:
            return False

    def logs(self, lines: int = 30, dmesg: bool = False) -> str:
        """Tails of qemu's output and the serial console, and the guest's dmesg if asked and
        the guest still answers."""
        out = []
        if dmesg and self._conn is not None:
            try:
                tail = self.run(["dmesg"], timeout=5).stdout.splitlines()[-lines:]
                out.append(f"--- {self.name}: dmesg\n" + "\n".join(tail))
            except (GuestError, OSError):
                pass
        for name in ("qemu.log", "console.log"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as log:
                    tail = log.readlines()[-lines:]
                out.append(f"--- {self.name}: {name}\n{''.join(tail)}")
        return "\n".join(out)


def qemu_available() -> str | None:
    """None when qemu can run here, else why not."""
    if shutil.which(QEMU) is None:
        return f"{QEMU} is not installed (apt package qemu-system-x86)"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is missing"
    return None
