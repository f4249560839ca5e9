"""A MariaDB server of the lab with the agent that manages it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pytest

from tests.lab.agents import AgentResult, run_agent
from tests.lab.mariadb import MariaDB, servers
from tests.lab.netns import Lan

RECURRING = {"interval": "20000", "timeout": "20000"}
PROBE = {"interval": "0", "timeout": "20000"}


@dataclass
class Resource:
    """One server and the agent's view of it: parameters, meta attributes, HA_RSCTMP."""

    db: MariaDB
    rsctmp: str
    params: dict[str, str]
    meta: dict[str, str] = field(default_factory=dict)
    instance: str = "db"
    netns: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def run(self, action: str, meta: Mapping[str, str] | None = None,
            params: Mapping[str, str] | None = None, **env: str) -> AgentResult:
        return run_agent("mariadb", action, instance=self.instance,
                         params={**self.params, **(params or {})},
                         meta={**self.meta, **(meta or {})}, netns=self.netns,
                         extra_env={"HA_RSCTMP": self.rsctmp, **self.env, **env})

    def monitor(self, level: int = 0, probe: bool = False) -> AgentResult:
        return self.run("monitor", PROBE if probe else RECURRING, OCF_CHECK_LEVEL=str(level))

    def ok(self, action: str, expected: int = 0, **kwargs) -> AgentResult:
        result = self.run(action, **kwargs)
        assert result.rc == expected, (f"{action}: rc {result.rc}, expected {expected}: "
                                       f"{result.exit_reason}\n{result.stderr[-2000:]}\n"
                                       f"{self.db.error_log()}")
        return result


@pytest.fixture
def database(tmp_path) -> Iterator[Resource]:
    """An initialised, stopped server and its single-instance resource; always shut down."""
    if os.geteuid() != 0:
        pytest.skip("the server runs as the mysql user: needs root")
    rsctmp = tmp_path / "rsctmp"
    rsctmp.mkdir()
    with servers(1) as (db,):
        resource = Resource(db, str(rsctmp), db.params())
        try:
            yield resource
        finally:
            resource.run("stop")


# Promotable: one server per network namespace, Pacemaker's notifications played by the test ----

REPLICATION_PASSWORD = "repl-Secret-4711"
CLONE = {"clone_max": "3", "clone_node_max": "1", "promoted_max": "1",
         "promoted_node_max": "1", "notify": "true"}
# Semi-synchronous replication gives up waiting for a replica after 1 s here (10 s in the lab's
# default), so tests that cut a replica off do not stall.
QUICK_SEMISYNC = {"rpl-semi-sync-master-timeout": "1000"}


@dataclass
class Trio:
    """Three nodes (node1…3), each with its own server in its own namespace."""

    lan: Lan
    nodes: dict[str, Resource]
    cib: str   # the scratch CIB holding node attributes and promotion scores

    def score(self, name: str) -> str | None:
        return attribute(self.cib, name, "master-db")

    def position(self, name: str) -> str | None:
        return attribute(self.cib, name, "pyha-mariadb-gtid-db")

    def notify(self, kind: str, operation: str, *, active: list[str],
               promoted: list[str] = (), promote: list[str] = (), demote: list[str] = (),
               start: list[str] = (), stop: list[str] = (),
               on: list[str] | None = None, cut_off: tuple[str, ...] = ()) -> None:
        """One round of notifications, as Pacemaker sends them to every active instance; one
        after the other, since crm_attribute on a CIB file does not serialise writers."""
        sets = {"active": active, "promoted": promoted,
                "unpromoted": [n for n in active if n not in promoted], "promote": promote,
                "demote": demote, "start": start, "stop": stop}
        meta = {"notify_type": kind, "notify_operation": operation}
        for key, names in sets.items():
            # Pacemaker lists instances (db:0 …) and their nodes side by side.
            meta[f"notify_{key}_uname"] = " ".join(names) or " "
            meta[f"notify_{key}_resource"] = " ".join(f"db:{n[-1]}" for n in names) or " "
        for name in on if on is not None else sorted(set(active) | set(start)):
            result = self.nodes[name].ok("notify", meta=meta)
            # notify always exits 0; what went wrong is in its log (a node whose cable is cut
            # cannot reach the Promoted, and says so)
            if name not in cut_off:
                assert "ERROR" not in result.stderr, f"notify on {name}:\n{result.stderr}"

    def promote(self, name: str, active: list[str], demoted: str | None = None,
                cut_off: tuple[str, ...] = ()) -> None:
        """Pacemaker's promotion sequence, with the notifications around it."""
        if demoted:
            self.notify("pre", "demote", active=active, promoted=[demoted], demote=[demoted])
            self.nodes[demoted].ok("demote")
            self.notify("post", "demote", active=active, promoted=[demoted], demote=[demoted])
        self.notify("pre", "promote", active=active, promote=[name])
        self.nodes[name].ok("promote")
        self.notify("post", "promote", active=active, promote=[name], cut_off=cut_off)

    def wait_replicating(self, names: list[str], timeout: float = 20) -> None:
        import time

        until = time.monotonic() + timeout
        for name in names:
            while True:
                status = self.nodes[name].db.replica_status()
                if status and status["Slave_IO_Running"] == "Yes" and \
                        status["Slave_SQL_Running"] == "Yes":
                    break
                assert time.monotonic() < until, f"{name} does not replicate: {status}"
                time.sleep(0.05)

    def wait_for_row(self, names: list[str], table: str, key: int, timeout: float = 20) -> None:
        import time

        import pymysql

        until = time.monotonic() + timeout
        for name in names:
            while True:
                try:
                    if self.nodes[name].db.value(f"SELECT COUNT(*) FROM {table} WHERE id = %s",
                                                 (key,)):
                        break
                except pymysql.err.ProgrammingError:
                    pass   # the table itself has not arrived yet
                assert time.monotonic() < until, f"row {key} never reached {name}"
                time.sleep(0.05)


def scratch_cib(path: str, names: list[str]) -> str:
    """An offline CIB in which `names` are online members: crm_attribute (CIB_file=path) keeps
    real node attributes and promotion scores there, without a running cluster."""
    import subprocess

    with open(path, "w") as cib:
        subprocess.run(["cibadmin", "--empty"], stdout=cib, check=True)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CIB_file": path}
    for number, name in enumerate(names, start=1):
        for scope, xml in (("nodes", f'<node id="{number}" uname="{name}"/>'),
                           ("status", f'<node_state id="{number}" uname="{name}" in_ccm="true" '
                                      f'crmd="online" join="member" expected="member"/>')):
            subprocess.run(["cibadmin", "--create", "--scope", scope, "--xml-text", xml],
                           env=env, check=True, capture_output=True)
    return path


def attribute(cib: str, node: str, name: str) -> str | None:
    import subprocess

    done = subprocess.run(["crm_attribute", "--lifetime", "reboot", "--node", node, "--name",
                           name, "--query", "--quiet"], capture_output=True, text=True,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CIB_file": cib})
    return done.stdout.strip() or None if done.returncode == 0 else None


@pytest.fixture
def trio(tmp_path) -> Iterator[Trio]:
    if os.geteuid() != 0:
        pytest.skip("namespaces and the mysql user need root")
    with Lan() as lan:
        hosts = [lan.add_host(f"node{n}", n, ipv6=False) for n in (1, 2, 3)]
        addresses = [host.address for host in hosts]
        node_addresses = " ".join(f"{h.name}={h.address}" for h in hosts)
        cib = scratch_cib(str(tmp_path / "cib.xml"), [host.name for host in hosts])
        with servers(3, addresses=addresses, settings=QUICK_SEMISYNC) as dbs:
            nodes = {}
            for host, db in zip(hosts, dbs):
                rsctmp = tmp_path / host.name
                rsctmp.mkdir()
                params = db.params(replication_user="repl",
                                   replication_passwd=REPLICATION_PASSWORD,
                                   node_addresses=node_addresses)
                nodes[host.name] = Resource(db, str(rsctmp), params,
                                            meta={**CLONE, "on_node": host.name},
                                            netns=host.netns, env={"CIB_file": cib})
            try:
                yield Trio(lan, nodes, cib)
            finally:
                for node in nodes.values():
                    node.run("stop")


def replicated(trio: Trio) -> None:
    """node1 Promoted, node2 and node3 replicating from it, table test.t on all three."""
    every = ["node1", "node2", "node3"]
    for node in trio.nodes.values():
        node.ok("start")
        assert node.db.value("SELECT @@read_only") == 1
    trio.notify("post", "start", active=[], start=every)
    trio.notify("pre", "promote", active=every, promote=["node1"])
    trio.nodes["node1"].ok("promote")
    primary = trio.nodes["node1"].db
    primary.create_replication_user(REPLICATION_PASSWORD)
    primary.sql("CREATE DATABASE test")
    primary.sql("CREATE TABLE test.t (id INT PRIMARY KEY)")
    trio.notify("post", "promote", active=every, promote=["node1"])
    trio.wait_replicating(["node2", "node3"])
    primary.sql("INSERT INTO test.t VALUES (1)")
    trio.wait_for_row(["node2", "node3"], "test.t", 1)
