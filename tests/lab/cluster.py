"""Real Pacemaker + Corosync clusters, one node per set of namespaces, on one bridge.

Each node has its own network namespace (from tests.lab.netns) and, under its init
(tests/lab/node_init.py), its own mount, UTS and PID namespaces: private /etc/corosync,
/var/lib/{corosync,pacemaker}, logs, tmpfs /run and /dev/shm, the checkout's agents overlaid on
/usr/lib/ocf (as `make install` lays them out) and the lab's fence agent on /usr/sbin. The host's
/usr and /etc are never touched.

Killing a node is a SIGKILL to its init: the kernel tears the PID namespace down and its tmpfs
/run goes with it, as state in /run does on a real power cut. Fencing (`fence_lab`) asks this
module, over a Unix socket, to do exactly that, and for a reboot to start the node again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from tests.lab.install import make_install
from tests.lab.netns import Host, Lan, sh

HERE = os.path.dirname(os.path.abspath(__file__))
CLEAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
# An instance counts once its start or promotion is done, not while "Starting".
SETTLED_ROLES = ("Started", "Promoted", "Unpromoted")


class ClusterError(AssertionError):
    pass


class Node:
    def __init__(self, name: str, nodeid: int, host: Host, directory: str) -> None:
        self.name = name
        self.nodeid = nodeid
        self.host = host
        self.dir = directory
        self.init_pid: int | None = None
        self._launcher: subprocess.Popen | None = None

    @property
    def alive(self) -> bool:
        return self.init_pid is not None and os.path.exists(f"/proc/{self.init_pid}")


def corosync_conf(nodes: Sequence[Node], token_ms: int) -> str:
    nodelist = "".join(
        f"    node {{\n        ring0_addr: {node.host.address}\n        name: {node.name}\n"
        f"        nodeid: {node.nodeid}\n    }}\n" for node in nodes)
    two_node = "    two_node: 1\n" if len(nodes) == 2 else ""
    return (
        "totem {\n    version: 2\n    cluster_name: pyha-lab\n    transport: knet\n"
        "    crypto_cipher: none\n    crypto_hash: none\n"
        f"    token: {token_ms}\n    token_coefficient: 0\n}}\n"
        f"nodelist {{\n{nodelist}}}\n"
        f"quorum {{\n    provider: corosync_votequorum\n{two_node}}}\n"
        "logging {\n    to_logfile: yes\n    logfile: /var/log/corosync/corosync.log\n"
        "    to_syslog: no\n    to_stderr: no\n    timestamp: on\n}\n")


class Cluster:
    """A running cluster; use as a context manager (it always cleans up)."""

    def __init__(self, names: Sequence[str] = ("node1", "node2", "node3"), *,
                 fencing: bool = True, token_ms: int = 1000, subnet4: str = "10.78.0") -> None:
        self.names = list(names)
        self.fencing = fencing
        self.token_ms = token_ms
        self.subnet4 = subnet4
        self.nodes: dict[str, Node] = {}
        self.fence_events: list[tuple[float, str, str]] = []
        self.background_errors: list[str] = []  # a fence reboot that failed to boot the node
        self._server: socket.socket | None = None
        self._closing = False
        self._lan: Lan | None = None
        self.dir = ""

    # Life cycle ---------------------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        try:
            self._build()
            for node in self.nodes.values():
                self.start_node(node.name, wait=False)
            self.formation_seconds = self.wait_formed()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _build(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="pyha-cluster-")
        os.chmod(self.dir, 0o755)
        self.install_root = os.path.join(self.dir, "install")
        make_install(self.install_root)
        self.sbin = os.path.join(self.dir, "sbin")
        os.makedirs(self.sbin)
        shutil.copy(os.path.join(HERE, "fence_lab"), os.path.join(self.sbin, "fence_lab"))
        self.fence_socket = os.path.join(self.dir, "fence.sock")
        self._start_fence_server()
        self._lan = Lan(subnet4=self.subnet4, subnet6="fd78::")
        self._lan.__enter__()
        for number, name in enumerate(self.names, start=1):
            host = self._lan.add_host(name, number)
            self.nodes[name] = Node(name, number, host, os.path.join(self.dir, name))
        # Not a cluster member: the service's user, to measure what clients see.
        self.client = self._lan.add_host("client", 200)
        conf = corosync_conf(list(self.nodes.values()), self.token_ms)
        cib = self._seed_cib()
        for node in self.nodes.values():
            self._prepare_node_dirs(node, conf, cib)

    def _seed_cib(self) -> str:
        """A CIB written offline: dc-deadtime 2 s makes a cold start take seconds, not 20."""
        path = os.path.join(self.dir, "cib.xml")
        with open(path, "w") as cib:
            subprocess.run(["cibadmin", "--empty"], stdout=cib, check=True)
        env = {"PATH": CLEAN_PATH, "CIB_file": path}
        for name, value in (("dc-deadtime", "2s"), ("stonith-enabled", str(self.fencing).lower()),
                            ("cluster-recheck-interval", "1min")):
            subprocess.run(["crm_attribute", "--type", "crm_config", "--name", name,
                            "--update", value], env=env, check=True, capture_output=True)
        if self.fencing:
            hosts = " ".join(self.names)
            subprocess.run(["cibadmin", "--create", "--scope", "resources", "--xml-text",
                            '<primitive id="fence-lab" class="stonith" type="fence_lab">'
                            '<instance_attributes id="fence-lab-ia">'
                            f'<nvpair id="fence-lab-socket" name="socket" '
                            f'value="{self.fence_socket}"/>'
                            f'<nvpair id="fence-lab-hosts" name="pcmk_host_list" value="{hosts}"/>'
                            '<nvpair id="fence-lab-check" name="pcmk_host_check" '
                            'value="static-list"/>'
                            '</instance_attributes></primitive>'],
                           env=env, check=True, capture_output=True)
        return path

    def _prepare_node_dirs(self, node: Node, conf: str, cib: str) -> None:
        os.makedirs(node.dir)
        for sub in ("etc-corosync", "var-lib-corosync", "var-log-corosync", "logs"):
            os.makedirs(os.path.join(node.dir, sub))
        with open(os.path.join(node.dir, "etc-corosync", "corosync.conf"), "w") as conf_file:
            conf_file.write(conf)
        # Copies keep Pacemaker's ownership (hacluster:haclient) and modes.
        sh(["cp", "-a", "/var/lib/pacemaker", os.path.join(node.dir, "var-lib-pacemaker")])
        sh(["cp", "-a", "/var/log/pacemaker", os.path.join(node.dir, "var-log-pacemaker")])
        target = os.path.join(node.dir, "var-lib-pacemaker", "cib", "cib.xml")
        shutil.copy(cib, target)
        os.chmod(target, 0o600)
        sh(["chown", "hacluster:haclient", target])

    def _node_config(self, node: Node) -> str:
        binds = [(os.path.join(node.dir, "etc-corosync"), "/etc/corosync"),
                 (os.path.join(node.dir, "var-lib-corosync"), "/var/lib/corosync"),
                 (os.path.join(node.dir, "var-log-corosync"), "/var/log/corosync"),
                 (os.path.join(node.dir, "var-lib-pacemaker"), "/var/lib/pacemaker"),
                 (os.path.join(node.dir, "var-log-pacemaker"), "/var/log/pacemaker")]
        overlays = [("/usr/lib/ocf", [os.path.join(self.install_root, "usr/lib/ocf"),
                                      "/usr/lib/ocf"]),
                    ("/usr/sbin", [self.sbin, "/usr/sbin"])]
        config = {"name": node.name, "binds": binds, "overlays": overlays,
                  "log_dir": os.path.join(node.dir, "logs"),
                  "ready_file": os.path.join(node.dir, "ready")}
        path = os.path.join(node.dir, "init.json")
        with open(path, "w") as config_file:
            json.dump(config, config_file)
        return path

    def start_node(self, name: str, wait: bool = True) -> None:
        """Power the node on: fresh network namespace, fresh init, corosync, pacemakerd."""
        if self._closing:
            raise ClusterError("the cluster is shutting down")
        node = self.nodes[name]
        assert self._lan is not None
        if not os.path.exists(f"/run/netns/{node.host.netns}"):
            self._lan.power_on(node.host)
        ready = os.path.join(node.dir, "ready")
        if os.path.exists(ready):
            os.unlink(ready)
        node._launcher = subprocess.Popen(
            ["ip", "netns", "exec", node.host.netns, "unshare", "--mount", "--uts", "--pid",
             "--fork", "--mount-proc", sys.executable, os.path.join(HERE, "node_init.py"),
             self._node_config(node)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(node.dir, "logs", "init.err"), "ab"),  # noqa: SIM115
            env={"PATH": CLEAN_PATH})
        deadline = time.monotonic() + 40
        while not os.path.exists(ready):
            if node._launcher.poll() is not None or time.monotonic() > deadline:
                raise ClusterError(f"{name} did not boot:\n{self.logs(name)}")
            time.sleep(0.05)
        # unshare --fork: the launcher's only child is the node's init (PID 1 inside).
        pid = node._launcher.pid
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            node.init_pid = int(children.read().split()[0])
        if wait:
            self.wait_for(lambda: name in self.online_nodes(), 60, f"{name} online")

    def kill_node(self, name: str) -> None:
        """Power off: SIGKILL the node's init; everything inside dies with its PID namespace."""
        node = self.nodes[name]
        if node.alive:
            os.kill(node.init_pid, signal.SIGKILL)
        if node._launcher is not None:
            node._launcher.wait(timeout=30)
            node._launcher = None
        node.init_pid = None
        if self._lan is not None:
            self._lan.power_off(node.host)

    def close(self) -> None:
        self._closing = True
        for name in list(self.nodes):
            try:
                self.kill_node(name)
            except (OSError, subprocess.SubprocessError):
                pass
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lan is not None:
            self._lan.close()
            self._lan = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    # Fencing ----------------------------------------------------------------------------------

    def _start_fence_server(self) -> None:
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.fence_socket)
        self._server.listen(8)
        threading.Thread(target=self._serve_fencing, args=(self._server,), daemon=True).start()

    def _serve_fencing(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                request = json.loads(conn.makefile().readline())
                answer = self._fence(request.get("action", ""), request.get("node", ""))
                conn.sendall(json.dumps(answer).encode() + b"\n")

    def _fence(self, action: str, name: str) -> dict:
        if action == "list":
            return {"ok": True, "nodes": self.names}
        if name not in self.nodes or self._closing:
            return {"ok": False}
        if action == "status":
            return {"ok": True, "on": self.nodes[name].alive}
        self.fence_events.append((time.monotonic(), action, name))
        if action in ("off", "reboot"):
            self.kill_node(name)
        if action in ("on", "reboot"):
            threading.Thread(target=self._boot_in_background, args=(name,), daemon=True).start()
        return {"ok": True}

    def _boot_in_background(self, name: str) -> None:
        try:
            self.start_node(name, wait=False)
        except Exception as err:
            if not self._closing:
                self.background_errors.append(f"booting {name} after fencing: {err}")

    # Looking inside ---------------------------------------------------------------------------

    def run(self, name: str, argv: Sequence[str], check: bool = False, timeout: float = 120,
            input: str | None = None) -> subprocess.CompletedProcess:
        """A command inside the node's namespaces, with a clean environment."""
        node = self.nodes[name]
        if not node.alive:
            raise ClusterError(f"{name} is not running")
        done = subprocess.run(["nsenter", "-t", str(node.init_pid), "-n", "-m", "-u", "-p",
                               "--", *argv], capture_output=True, text=True, timeout=timeout,
                              env={"PATH": CLEAN_PATH, "LANG": "C.UTF-8", "HOME": "/root"},
                              input=input)
        if check and done.returncode != 0:
            raise ClusterError(f"{list(argv)} on {name} exited {done.returncode}:\n"
                               f"{done.stdout}{done.stderr}")
        return done

    def any_node(self) -> str:
        for name, node in self.nodes.items():
            if node.alive:
                return name
        raise ClusterError("no node is running")

    def status(self, name: str | None = None) -> ET.Element | None:
        done = self.run(name or self.any_node(), ["crm_mon", "-1", "--output-as=xml"],
                        timeout=20)
        try:
            return ET.fromstring(done.stdout)
        except ET.ParseError:
            return None

    def online_nodes(self, name: str | None = None) -> set[str]:
        status = self.status(name)
        if status is None or status.find("summary/current_dc[@present='true']") is None:
            return set()
        return {n.get("name") for n in status.iter("node")
                if n.get("online") == "true" and n.get("name") and n.get("type") == "member"}

    def resource_roles(self, resource_id: str, name: str | None = None) -> dict[str, str]:
        """{node: role} of every active instance of a resource (primitive or clone)."""
        status = self.status(name)
        roles: dict[str, str] = {}
        if status is None:
            return roles
        for resource in status.iter("resource"):
            rid = resource.get("id", "").split(":")[0]
            settled = resource.get("role") in SETTLED_ROLES and not resource.get("pending")
            if rid == resource_id and resource.get("active") == "true" and settled \
                    and resource.get("failed") != "true":
                for node in resource.findall("node"):
                    roles[node.get("name")] = resource.get("role")
        return roles

    def wait_for(self, condition: Callable[[], object], timeout: float, what: str) -> float:
        started = time.monotonic()
        while True:
            try:
                if condition():
                    return time.monotonic() - started
            except (ClusterError, subprocess.TimeoutExpired):
                pass
            if time.monotonic() - started > timeout:
                raise ClusterError(f"{what}: not reached in {timeout:.0f}s\n{self.logs()}")
            time.sleep(0.2)

    def wait_formed(self, timeout: float = 90) -> float:
        every = set(self.names)
        return self.wait_for(lambda: self.online_nodes() == every, timeout, "cluster formed")

    def pcs(self, *args: str, name: str | None = None) -> subprocess.CompletedProcess:
        return self.run(name or self.any_node(), ["pcs", *args], check=True)

    # Network ----------------------------------------------------------------------------------

    def cut(self, name: str) -> None:
        assert self._lan is not None
        self._lan.cut(self.nodes[name].host)

    def heal(self, name: str) -> None:
        assert self._lan is not None
        self._lan.heal(self.nodes[name].host)

    def logs(self, name: str | None = None, lines: int = 40) -> str:
        """The tail of every node's logs, for a failing test's report."""
        out = []
        for node in ([self.nodes[name]] if name else self.nodes.values()):
            for sub in ("logs/init.err", "logs/pacemakerd.out", "var-log-pacemaker/pacemaker.log",
                        "var-log-corosync/corosync.log"):
                path = os.path.join(node.dir, sub)
                if os.path.exists(path):
                    with open(path, errors="replace") as log:
                        tail = log.readlines()[-lines:]
                    out.append(f"--- {node.name}: {sub}\n{''.join(tail)}")
        return "\n".join(out)
