"""A real two-node Pacemaker + Corosync cluster on a booted VmPair, with real fencing.

    with VmPair() as pair, VmCluster(pair) as cluster:
        cluster.pcs("resource", "create", "vip", "ocf:pyha:floating-ip", "ip=192.168.77.100")
        cluster.kill("alpha")      # power cut; bravo fences alpha and takes over

The recipe is the namespace lab's (tests/lab/cluster.py), and so is most of the code: the same
corosync.conf, the same CIB seeded offline (dc-deadtime 2 s, stonith-enabled, a `fence_lab`
device), the same crm_mon queries, the same fence agent. What differs is how things reach a
guest and how a node dies:

- Files. A guest sees the host's root read-only as it was at boot (9p, cache=loose) and not the
  host's /tmp at all (its own tmpfs). So the checkout's `make install`, the lab's fence agent,
  corosync.conf and the seeded CIB travel as one small tarball over the control channel; the
  agents and fence_lab are unpacked to /run/pyha-lab and overlaid on /usr/lib/ocf and /usr/sbin,
  as the namespace lab overlays its scratch install. The guest's root is a private tmpfs overlay:
  nothing here touches the host.
- Fencing. The guests have no network path to the host; the control channel is the one link. So
  fence_lab, unchanged, talks to /run/pyha-host.sock in the guest; the guest agent relays the
  request over the virtio-serial port to `_fence` here, which kills the target's qemu (off) and,
  for a reboot, boots it again and has it rejoin in the background.
- A node kill is a power cut: qemu SIGKILLed. The guest's /run and everything else on tmpfs dies
  with it, so a restarted node comes back as from a real reboot, with a fresh CIB seed that the
  running cluster overrides (its epoch is lower).

One cluster per pair: its daemons live as long as the guests, so close the pair with the cluster.
Under TCG (one vCPU per guest) the stack is set up in ~5 s and both nodes are online ~15 s later.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import tarfile
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from tests.lab.cluster import Cluster, ClusterError, corosync_conf
from tests.lab.install import make_install
from tests.lab.node_init import DAEMON_ENV
from tests.lab.vm.guest import Guest, GuestError, Result
from tests.lab.vm.guest_init import HOST_SOCKET
from tests.lab.vm.pair import VmPair

LAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FENCE_AGENT = os.path.join(LAB_DIR, "fence_lab")
GUEST_LAB_ROOT = "/run/pyha-lab"   # in the guest: the unpacked bundle, lower layer of overlays
# Failure detection costs token + consensus (1.2 x token). Trials here under TCG: 1000 ms held
# membership (5 runs, no spurious loss) with the VIP back in 7-8 s after a power cut, 2000 ms in
# 9-12 s, 3000 ms in 14-19 s. The default keeps corosync's 3000 ms anyway: both guests' vCPUs
# and the rest of a CI run share two host cores, and a stalled guest that misses the token gets
# fenced, which fails a test for nothing. Pass token_ms for faster failovers.
TOKEN_MS = 3000
# What logs() shows from inside a running guest.
GUEST_LOGS = ("/var/log/corosync/corosync.out", "/var/log/corosync/corosync.log",
              "/var/log/pacemaker/pacemakerd.out", "/var/log/pacemaker/pacemaker.log")

# Constant scripts; values arrive as positional arguments, never spliced in.
# $1: where to unpack the bundle (read as base64 on stdin).
SETUP_SCRIPT = r"""set -e
lab=$1
if [ -e "$lab" ]; then
    echo "$lab exists: a cluster ran on this guest already (one per VmPair)" >&2
    exit 1
fi
mkdir -p "$lab"
base64 -d | tar -xz -C "$lab"
for dir in /usr/lib/ocf /usr/sbin; do
    mount -t overlay pyha-lab -o "lowerdir=$lab$dir:$dir" "$dir"
done
install -D -m 0644 "$lab/etc/corosync/corosync.conf" /etc/corosync/corosync.conf
install -D -m 0600 -o hacluster -g haclient "$lab/var/lib/pacemaker/cib/cib.xml" \
    /var/lib/pacemaker/cib/cib.xml
mkdir -p /run/crm /run/resource-agents /run/corosync /var/log/corosync /var/lib/corosync
chown hacluster:haclient /run/crm
"""
# $@: the daemons' whole environment (NAME=value ...). Agents inherit pacemakerd's environment,
# so it is as clean as on a real node; setsid -f detaches the daemons from the agent's command.
START_SCRIPT = r"""set -e
daemon() {
    log=$1; shift
    setsid -f env -i $environment "$@" </dev/null >"$log" 2>&1
}
environment="$*"
daemon /var/log/corosync/corosync.out corosync -f
until corosync-cfgtool -s >/dev/null 2>&1; do sleep 0.2; done
daemon /var/log/pacemaker/pacemakerd.out pacemakerd
"""


@dataclass(frozen=True)
class _Address:
    address: str


@dataclass(frozen=True)
class _Member:
    """What the namespace lab's corosync_conf() reads of a node."""

    name: str
    nodeid: int
    host: _Address


def bundle(root: str) -> str:
    """The tree under root as a base64 tar.gz: text, so it fits the control channel's JSON."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as archive:
        archive.add(root, arcname=".")
    return base64.b64encode(data.getvalue()).decode()


class VmCluster:
    """Pacemaker + Corosync on every guest of a booted pair; use as a context manager.

    The pair stays the caller's: closing the cluster ends its host-side parts (fencing, boots in
    the background, files), and closing the pair ends the guests and the daemons in them."""

    def __init__(self, pair: VmPair, *, token_ms: int = TOKEN_MS, fencing: bool = True,
                 form_timeout: float = 180) -> None:
        self.pair = pair
        self.names = [guest.name for guest in pair.guests]
        self.token_ms = token_ms
        self.fencing = fencing
        self.form_timeout = form_timeout
        self.fence_socket = HOST_SOCKET   # as the guests see it; read by the seeded CIB
        self.fence_events: list[tuple[float, str, str]] = []   # (monotonic, action, node)
        self.background_errors: list[str] = []   # a fence reboot that did not bring a node back
        self.setup_seconds = 0.0       # bundle unpacked, daemons started (both guests at once)
        self.formation_seconds = 0.0   # daemons started -> both nodes online
        self.dir = ""
        self._bundle = ""
        self._closing = False
        self._booting: set[str] = set()
        self._kills: Counter[str] = Counter()   # power cuts so far, per node
        # Every qemu this cluster (re)starts is forked by this one long-lived thread: qemu's
        # pdeathsig follows the forking thread, so a short-lived one would take the guest along.
        self._power = ThreadPoolExecutor(1, thread_name_prefix="vm-power")
        self._lock = threading.Lock()

    # Borrowed from the namespace lab rather than copied: they need only run(), any_node(),
    # names, dir, fencing, fence_socket and wait_for() of an object.
    _seed_cib = Cluster._seed_cib
    status = Cluster.status
    resource_roles = Cluster.resource_roles
    wait_formed = Cluster.wait_formed
    pcs = Cluster.pcs

    # Life cycle ---------------------------------------------------------------------------------

    def __enter__(self) -> VmCluster:
        try:
            self._build()
            started = time.monotonic()
            self.pair.parallel(self._start_stack)
            self.setup_seconds = time.monotonic() - started
            self.wait_formed(self.form_timeout)
            self.formation_seconds = time.monotonic() - started - self.setup_seconds
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _build(self) -> None:
        """The bundle every guest gets, and the fence handler on every guest's channel."""
        if len(self.names) != 2:
            raise ValueError("the corosync.conf here is a two_node one")
        self.dir = tempfile.mkdtemp(prefix="pyha-vmcluster-")
        root = os.path.join(self.dir, "root")
        make_install(root)
        os.makedirs(os.path.join(root, "usr/sbin"), exist_ok=True)
        shutil.copy(FENCE_AGENT, os.path.join(root, "usr/sbin/fence_lab"))
        members = [_Member(guest.name, number, _Address(guest.ip))
                   for number, guest in enumerate(self.pair.guests, start=1)]
        self._write(root, "etc/corosync/corosync.conf", corosync_conf(members, self.token_ms))
        cib = self._seed_cib()
        os.makedirs(os.path.join(root, "var/lib/pacemaker/cib"))
        shutil.copy(cib, os.path.join(root, "var/lib/pacemaker/cib/cib.xml"))
        self._bundle = bundle(root)
        for guest in self.pair.guests:
            guest.on_call = self._fence

    @staticmethod
    def _write(root: str, path: str, text: str) -> None:
        target = os.path.join(root, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as out:
            out.write(text)

    def _start_stack(self, guest: Guest) -> None:
        """Unpack the bundle, put files in place, start corosync and then pacemakerd."""
        guest.run(["sh", "-c", SETUP_SCRIPT, "sh", GUEST_LAB_ROOT], input=self._bundle,
                  timeout=120, check=True)
        environment = [f"{name}={value}" for name, value in DAEMON_ENV.items()]
        guest.run(["sh", "-c", START_SCRIPT, "sh", *environment], timeout=120, check=True)

    def close(self) -> None:
        """Stop fencing and background boots (killing a guest still booting), remove files.

        A guest this cluster rebooted dies here too: its qemu's pdeathsig follows the power
        thread, which ends now. The pair's own guests run on until the pair closes."""
        with self._lock:
            self._closing = True
            booting = list(self._booting)
        for name in booting:
            self.kill(name)
        self._power.shutdown(wait=True, cancel_futures=True)
        for guest in self.pair.guests:
            guest.on_call = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = ""

    # Power --------------------------------------------------------------------------------------

    def kill(self, name: str) -> None:
        """A power cut: the guest's qemu is SIGKILLed. Pacemaker on the peer will fence it."""
        self._kills[name] += 1
        self.pair.power_off(name)

    def start(self, name: str, timeout: float = 240) -> float:
        """Power the node on (unless it is on already), start its stack, wait until the cluster
        sees it online. Seconds it took."""
        started = time.monotonic()
        self._power_on_later(name).result(timeout)
        self.wait_for(lambda: name in self.online_nodes(), timeout, f"{name} online")
        return time.monotonic() - started

    def _power_on_later(self, name: str) -> Future:
        return self._power.submit(self._power_on, name)

    def _power_on(self, name: str) -> None:
        """In the power thread: boot the guest if it is off, then start its cluster stack.

        A boot cut short by a power cut (a fence, a test's kill, close()) is no failure."""
        with self._lock:
            if self._closing or self.pair.guest(name).running:
                return
            self._booting.add(name)
        kills = self._kills[name]
        try:
            guest = self.pair.power_on(name)
            guest.on_call = self._fence
            if not self._closing:
                self._start_stack(guest)
        except (GuestError, OSError):
            if not self._closing and self._kills[name] == kills:
                raise
        finally:
            with self._lock:
                self._booting.discard(name)

    def _fence(self, request: dict) -> dict:
        """A fence_lab request relayed from a guest (the namespace lab's protocol)."""
        action, name = request.get("action", ""), request.get("node", "")
        if action == "list":
            return {"ok": True, "nodes": self.names}
        if name not in self.names or self._closing:
            return {"ok": False}
        if action == "status":
            return {"ok": True, "on": self.pair.guest(name).running}
        self.fence_events.append((time.monotonic(), action, name))
        if action in ("off", "reboot"):
            self.kill(name)
        if action in ("on", "reboot"):
            self._power_on_later(name).add_done_callback(
                lambda done: self._note_boot_failure(name, done))
        return {"ok": True}

    def _note_boot_failure(self, name: str, done: Future) -> None:
        error = None if done.cancelled() else done.exception()
        if error is not None and not self._closing:
            self.background_errors.append(f"booting {name} after fencing: {error}")

    # Looking inside -----------------------------------------------------------------------------

    def run(self, name: str, argv: Sequence[str], check: bool = False, timeout: float = 120,
            input: str | None = None) -> Result:
        """argv in the node (no shell), in the guest agent's clean environment."""
        guest = self.pair.guest(name)
        if not guest.running:
            raise ClusterError(f"{name} is not running")
        try:
            result = guest.run(argv, timeout=timeout, input=input)
        except (GuestError, OSError) as err:
            raise ClusterError(f"{name}: {err}") from err
        if check and (result.rc != 0 or result.timed_out):
            raise ClusterError(f"{list(argv)} on {name} exited {result.rc}"
                               f"{' (timed out)' if result.timed_out else ''}:\n{result.output}")
        return result

    def any_node(self) -> str:
        """A node whose stack is up, as far as the host knows (not one still booting)."""
        for name in self.names:
            if self.pair.guest(name).running and name not in self._booting:
                return name
        raise ClusterError("no node is running")

    def online_nodes(self, name: str | None = None) -> set[str]:
        """Members online with a DC present, and joined: a node whose controller has not joined
        yet is listed online but "pending" (it runs nothing yet), so it does not count here."""
        status = self.status(name)
        if status is None or status.find("summary/current_dc[@present='true']") is None:
            return set()
        return {node.get("name") for node in status.iter("node")
                if node.get("online") == "true" and node.get("pending") != "true"
                and node.get("type") == "member" and node.get("name")}

    def wait_for(self, condition: Callable[[], object], timeout: float, what: str,
                 interval: float = 1.0) -> float:
        """Seconds until condition() holds. Polls gently: under TCG one crm_mon costs a guest
        about a second of its only vCPU, which a failover needs more than the poll does."""
        started = time.monotonic()
        while True:
            try:
                if condition():
                    return time.monotonic() - started
            except ClusterError:
                pass
            if time.monotonic() - started > timeout:
                raise ClusterError(f"{what}: not reached in {timeout:.0f}s\n{self.logs()}")
            time.sleep(interval)

    def addresses(self, name: str) -> str:
        """`ip -o addr show` in the node: what its kernel carries, not what Pacemaker says."""
        return self.run(name, ["ip", "-o", "addr", "show"], check=True).stdout

    def logs(self, lines: int = 40) -> str:
        """Cluster logs of every running guest, qemu and console tails, fence events."""
        out = []
        for guest in list(self.pair.guests):
            if guest.running and guest.name not in self._booting:
                try:
                    tail = guest.run(["tail", "-n", str(lines), *GUEST_LOGS], timeout=20)
                    out.append(f"--- {guest.name}: cluster logs\n{tail.output}")
                except (GuestError, OSError) as err:
                    out.append(f"--- {guest.name}: no cluster logs ({err})")
            out.append(guest.logs(lines=lines))
        out.append(f"--- fence events: {self.fence_events}")
        if self.background_errors:
            out.append("--- background errors:\n" + "\n".join(self.background_errors))
        return "\n".join(out)
