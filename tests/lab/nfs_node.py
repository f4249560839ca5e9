"""A lab NFS server node: a Lan host with its own mount and PID namespaces (private /run,
/var/lib/nfs, a tmpfs standing in for the replicated filesystem, a D-Bus system bus), where the
nfsserver agent runs as Pacemaker would run it, and nothing it does reaches the host.

Agents and commands enter the node with nsenter; killing the node's init removes everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence

from tests.lab.agents import AgentResult, agent_environment, agent_path
from tests.lab.netns import Host

INIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nfs_node_init.py")
RSCTMP = "/run/resource-agents"


class NfsNode:
    """Use as a context manager. `shared` is the mount point of the node's replicated fs."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.dir = tempfile.mkdtemp(prefix=f"pyha-nfsnode-{os.getpid()}-")
        self.shared = os.path.join(self.dir, "shared")
        os.mkdir(self.shared)
        self.launcher: subprocess.Popen | None = None
        self.init_pid = 0

    def __enter__(self) -> NfsNode:
        ready = os.path.join(self.dir, "ready")
        self.launcher = subprocess.Popen(
            ["ip", "netns", "exec", self.host.netns, "unshare", "--mount", "--uts", "--pid",
             "--fork", "--mount-proc", "/usr/bin/python3", INIT, self.shared, ready],
            stdin=subprocess.DEVNULL)
        until = time.monotonic() + 15
        while not os.path.exists(ready) or not open(ready).read().strip():
            if time.monotonic() > until or self.launcher.poll() is not None:
                self.close()
                raise RuntimeError("the NFS node did not come up")
            time.sleep(0.02)
        # unshare --fork: the init is the launcher's child's only child; find it by its pid
        # file's owner namespace: the pid printed is 1 inside, so look it up from the host.
        self.init_pid = self._find_init()
        return self

    def _find_init(self) -> int:
        assert self.launcher is not None
        children = f"/proc/{self.launcher.pid}/task/{self.launcher.pid}/children"
        unshare_pid = self.launcher.pid
        for _ in range(2):  # ip netns exec execs unshare; unshare forks the init
            with open(children) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
            time.sleep(0.05)
        return unshare_pid

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.init_pid:
            try:
                os.kill(self.init_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.launcher is not None:
            try:
                self.launcher.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.launcher.kill()
        subprocess.run(["rm", "-rf", self.dir], check=False)

    def enter_argv(self, argv: Sequence[str]) -> list[str]:
        return ["nsenter", "-t", str(self.init_pid), "-n", "-m", "-p", "--", *argv]

    def run(self, argv: Sequence[str], check: bool = False, **kwargs
            ) -> subprocess.CompletedProcess:
        return subprocess.run(self.enter_argv(argv), capture_output=True, text=True,
                              check=check, **kwargs)

    def agent(self, action: str, params: Mapping[str, str], *, instance: str = "nfs",
              meta: Mapping[str, str] | None = None, timeout: float = 90) -> AgentResult:
        env = agent_environment(instance, params, {"timeout": "60000", **(meta or {})},
                                {"HA_RSCTMP": RSCTMP})
        started = time.monotonic()
        done = subprocess.run(self.enter_argv([agent_path("nfsserver"), action]), env=env,
                              capture_output=True, text=True, timeout=timeout)
        return AgentResult(done.returncode, done.stdout, done.stderr,
                           time.monotonic() - started)

    def pids(self, name: str) -> list[int]:
        """Host pids of processes named `name` in this node."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() != name[:15]:
                        continue
                if os.readlink(f"/proc/{entry}/ns/pid") == os.readlink(
                        f"/proc/{self.init_pid}/ns/pid"):
                    found.append(int(entry))
            except OSError:
                continue
        return found

    def mounted(self, path: str) -> bool:
        return self.run(["mountpoint", "-q", path]).returncode == 0
