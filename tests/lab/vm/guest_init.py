"""PID 1 of a lab guest, and its control agent. Runs inside the guest; standard library only.

The initramfs switch_roots into an overlay of the host's root and executes this file with the
host's /usr/bin/python3 (-I -S). PID 1 mounts the pseudo file systems, names the guest, sets up
its network from the kernel command line, then forks the agent and reaps orphans for the rest of
the guest's life. If the agent dies, PID 1 exits, the kernel panics and (panic=-1, -no-reboot)
qemu exits: the host sees a dead guest rather than a silent one.

The agent talks over a virtio-serial port, one JSON object per line each way. Requests:
{"id": n, "argv": [...], "timeout": seconds, "input": optional text}; answers:
{"id": n, "rc": int, "stdout": str, "stderr": str, "timed_out": bool}. Each request runs in
its own thread, so a slow command does not hold up others. The agent's first line is
{"hello": hostname, "uptime": seconds}.

The other way round, a program in the guest can ask the host something (the lab's fence agent
asks it to power a guest off): it connects to the Unix socket HOST_SOCKET, writes one JSON line
and reads one JSON line back. The agent relays the line to the host as {"call": n, "request":
{...}} and the host's {"reply": n, "answer": {...}} back to the program. This is the protocol
tests/lab/fence_lab speaks, so the namespace lab's fence agent works unchanged in a guest.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

PORT_NAME = "pyha.ctl"
HOST_SOCKET = "/run/pyha-host.sock"
# A call the host never answers (it is shutting down) must not hold its caller forever.
CALL_TIMEOUT = 120.0
COMMAND_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}


def kernel_params() -> dict[str, str]:
    with open("/proc/cmdline") as cmdline:
        words = cmdline.read().split()
    return dict(word.split("=", 1) for word in words if word.startswith("pyha.") and "=" in word)


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, env=COMMAND_ENV)


def mount_basics() -> None:
    """Pseudo file systems, and fresh tmpfs where the host's own state would otherwise show.

    /tmp stays the host's (through the overlay, so writes remain private): a checkout cloned
    under /tmp, as CI may do, must be visible to the guests that run its agents."""
    sh("mount", "-t", "proc", "proc", "/proc")
    for fstype, target, options in (
            ("sysfs", "/sys", "nosuid,nodev,noexec"),
            ("devpts", "/dev/pts", "gid=5,mode=620,ptmxmode=000"),
            ("tmpfs", "/dev/shm", "mode=1777"),
            ("tmpfs", "/run", "mode=0755")):
        os.makedirs(target, exist_ok=True)
        sh("mount", "-t", fstype, "-o", options, fstype, target)
    os.makedirs("/run/lock", mode=0o1777, exist_ok=True)


def configure_network(hostname: str, address: str | None) -> None:
    with open("/proc/sys/kernel/hostname", "w") as name:
        name.write(hostname)
    with open("/etc/hostname", "w") as name:
        name.write(hostname + "\n")
    sh("ip", "link", "set", "lo", "up")
    if address:
        sh("ip", "addr", "add", address, "dev", "eth0")
        sh("ip", "link", "set", "eth0", "up")


def find_port(name: str) -> str:
    """/dev/vportNpM of the named virtio-serial port (no udev here to make the symlink)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            ports = os.listdir("/sys/class/virtio-ports")
        except FileNotFoundError:
            ports = []
        for port in ports:
            try:
                with open(f"/sys/class/virtio-ports/{port}/name") as port_name:
                    if port_name.read().strip() == name:
                        return f"/dev/{port}"
            except OSError:
                continue
        time.sleep(0.05)
    raise RuntimeError(f"no virtio-serial port named {name}")


class Agent:
    def __init__(self, device: str) -> None:
        self.fd = os.open(device, os.O_RDWR)
        self.write_lock = threading.Lock()
        self.calls: dict[int, list] = {}   # call number -> [Event, answer]
        self.calls_lock = threading.Lock()
        self.next_call = 0

    def send(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\n"
        with self.write_lock:
            while data:
                data = data[os.write(self.fd, data):]

    def serve(self) -> None:
        threading.Thread(target=self.serve_host_calls, args=(HOST_SOCKET,), daemon=True).start()
        with open("/proc/uptime") as uptime:
            self.send({"hello": os.uname().nodename, "uptime": float(uptime.read().split()[0])})
        buffered = b""
        while True:
            chunk = os.read(self.fd, 65536)
            if not chunk:  # the host is not connected yet or went away: wait for it
                time.sleep(0.1)
                continue
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                if is_reply(line):
                    self.deliver(json.loads(line))
                elif line.strip():
                    threading.Thread(target=self.handle, args=(line,), daemon=True).start()

    def handle(self, line: bytes) -> None:
        try:
            request = json.loads(line)
            answer = run_request(request)
        except Exception as err:  # an answer must come back whatever went wrong
            request = {}
            answer = {"rc": 255, "stdout": "", "stderr": f"agent: {err!r}", "timed_out": False}
        answer["id"] = request.get("id") if isinstance(request, dict) else None
        self.send(answer)

    # Calls from the guest to the host -----------------------------------------------------------

    def serve_host_calls(self, path: str) -> None:
        """Accept local callers; each one is relayed in its own thread."""
        try:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
            listener.listen(8)
        except OSError as err:  # the command channel still works without it
            print(f"pyha agent: no {path}: {err}", file=sys.stderr)
            return
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=self.relay, args=(conn,), daemon=True).start()

    def relay(self, conn: socket.socket) -> None:
        """One JSON line from a local caller to the host, and the host's answer back."""
        with conn:
            try:
                request = json.loads(conn.makefile("rb").readline())
                answer = self.call_host(request)
            except (OSError, ValueError) as err:
                answer = {"ok": False, "error": f"agent: {err!r}"}
            try:
                conn.sendall(json.dumps(answer).encode() + b"\n")
            except OSError:
                pass  # the caller gave up

    def call_host(self, request: object) -> dict:
        slot: list = [threading.Event(), None]
        with self.calls_lock:
            self.next_call += 1
            number = self.next_call
            self.calls[number] = slot
        try:
            self.send({"call": number, "request": request})
            if not slot[0].wait(CALL_TIMEOUT):
                return {"ok": False, "error": "the host did not answer"}
            return slot[1] if isinstance(slot[1], dict) else {"ok": False}
        finally:
            with self.calls_lock:
                self.calls.pop(number, None)

    def deliver(self, message: dict) -> None:
        with self.calls_lock:
            slot = self.calls.get(message.get("reply"))
        if slot is not None:
            slot[1] = message.get("answer")
            slot[0].set()


def is_reply(line: bytes) -> bool:
    """The host's answer to a call, rather than a command to run."""
    try:
        message = json.loads(line)
    except ValueError:
        return False
    return isinstance(message, dict) and "reply" in message


def run_request(request: dict) -> dict:
    """Run argv in its own session; on timeout kill the whole process group."""
    text = request.get("input")
    process = subprocess.Popen(
        request["argv"], stdin=subprocess.PIPE if text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=COMMAND_ENV, cwd="/",
        start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = process.communicate(
            None if text is None else text.encode(), timeout=request.get("timeout", 60))
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        stdout, stderr = process.communicate()
    return {"rc": process.returncode, "stdout": stdout.decode(errors="replace"),
            "stderr": stderr.decode(errors="replace"), "timed_out": timed_out}


def reap_until(agent_pid: int) -> None:
    """PID 1's job: collect every orphan; return when the agent itself has died."""
    while True:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            return
        if pid == agent_pid:
            return


def main() -> None:
    mount_basics()  # first: until then /proc is the host's, seen through 9p
    params = kernel_params()
    configure_network(params.get("pyha.hostname", "guest"), params.get("pyha.ip"))
    device = find_port(params.get("pyha.port", PORT_NAME))
    agent_pid = os.fork()
    if agent_pid == 0:
        try:
            Agent(device).serve()
        finally:
            os._exit(1)
    reap_until(agent_pid)
    print("pyha guest: the agent died", file=sys.stderr)


if __name__ == "__main__":
    main()
