"""mariadb as a promotable clone under real Pacemaker (seed 002 the pyha way): three nodes, each
with its own server and datadir; a client writes through the Promoted; the Promoted's node
loses power; a replica is promoted and holds every row the client saw acknowledged.

The servers' files are reached through /run/pyha-db, a link in each node's tmpfs /run: a node
that reboots (fencing) comes back without it, so Pacemaker cannot start a server there on
some other datadir; it finds the configuration missing and leaves that node alone."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.conftest import report_figure
from tests.lab.cluster import Cluster
from tests.lab.mariadb import REPLICATION_USER, MariaDB, servers

pytestmark = pytest.mark.cluster

LINK = "/run/pyha-db"
REPLICATION_PASSWORD = "repl-Cluster-Secret"
WRITER_PASSWORD = "writer-Secret"
WRITER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "lab", "mariadb_writer.py")


def prepare(cluster: Cluster, dbs: list[MariaDB]) -> None:
    """Accounts on every server (not replicated: each server gets them itself), then each
    node's link to its server's files."""
    for db, node in zip(dbs, cluster.nodes.values()):
        db.start(netns=node.host.netns)
        with db.connect() as session, session.cursor() as cursor:
            cursor.execute("SET SESSION sql_log_bin = 0")
            cursor.execute(f"CREATE USER '{REPLICATION_USER}'@'%%' IDENTIFIED BY %s",
                           (REPLICATION_PASSWORD,))
            cursor.execute(f"GRANT REPLICATION SLAVE, SLAVE MONITOR ON *.* TO "
                           f"'{REPLICATION_USER}'@'%'")
            cursor.execute("CREATE USER 'writer'@'%%' IDENTIFIED BY %s", (WRITER_PASSWORD,))
            cursor.execute("GRANT ALL ON test.* TO 'writer'@'%'")
        db.shutdown()
        cluster.run(node.name, ["ln", "-s", db.dir, LINK], check=True)


def promoted(cluster: Cluster, instances: int, avoid: str | None = None) -> str:
    seen: list[str] = []

    def settled() -> bool:
        roles = cluster.resource_roles("db")
        seen[:] = [node for node, role in roles.items() if role == "Promoted"]
        return len(roles) >= instances and len(seen) == 1 and seen[0] != avoid
    cluster.wait_for(settled, 90, f"{instances} instances of db, one Promoted")
    return seen[0]


def acknowledged(output: str) -> list[tuple[int, str, float]]:
    rows = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "ack":
            rows.append((int(parts[1]), parts[2], float(parts[3])))
    return rows


def test_power_cut_of_the_promoted_loses_no_acknowledged_row(three_nodes: Cluster,
                                                             tmp_path) -> None:
    cluster = three_nodes
    addresses = [node.host.address for node in cluster.nodes.values()]
    with servers(3, addresses=addresses) as dbs:
        try:
            run_failover(cluster, dbs, tmp_path)
        finally:
            # Power off first: Pacemaker would restart servers the lab shuts down.
            for name in cluster.names:
                cluster.kill_node(name)


def run_failover(cluster: Cluster, dbs: list[MariaDB], tmp_path) -> None:
    addresses = [node.host.address for node in cluster.nodes.values()]
    prepare(cluster, dbs)
    byname = dict(zip(cluster.nodes, dbs))
    node_addresses = " ".join(f"{n.name}={n.host.address}" for n in cluster.nodes.values())
    cluster.pcs("resource", "create", "db", "ocf:pyha:mariadb", f"config={LINK}/my.cnf",
                f"datadir={LINK}/data", f"socket={LINK}/run/mysqld.sock",
                f"pid={LINK}/run/mysqld.pid", f"replication_user={REPLICATION_USER}",
                f"replication_passwd={REPLICATION_PASSWORD}",
                f"node_addresses={node_addresses}",
                "op", "monitor", "interval=3s", "role=Promoted",
                "op", "monitor", "interval=4s", "role=Unpromoted",
                "promotable", "notify=true")
    first = promoted(cluster, 3)
    byname[first].sql("CREATE DATABASE test")
    byname[first].sql("CREATE TABLE test.acked (id INT PRIMARY KEY)")

    stop_file = tmp_path / "stop-writing"
    writer = cluster.client.popen(
        ["/usr/bin/python3", WRITER, str(stop_file), "writer", WRITER_PASSWORD, "3306",
         *addresses], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)                       # rows flow through the first Promoted
        kill_started = time.time()
        cluster.kill_node(first)
        killed_at = time.time()            # no server of the old Promoted runs from here
        second = promoted(cluster, 2, avoid=first)
        promoted_after = time.time() - kill_started
        newest = byname[second].value("SELECT MAX(id) FROM test.acked")
        cluster.wait_for(lambda: byname[second].value("SELECT MAX(id) FROM test.acked")
                         != newest, 30, f"the client writing to {second}")
        time.sleep(1)
    finally:
        stop_file.touch()
        output, errors = writer.communicate(timeout=30)
    acked = acknowledged(output)
    old, new = cluster.nodes[first].host.address, cluster.nodes[second].host.address
    before = [row for row in acked if row[1] == old]
    after = [row for row in acked if row[1] == new]
    assert before and after, f"writes before {len(before)}, after {len(after)}\n{errors}"
    assert len(before) + len(after) == len(acked), "a write acknowledged by a replica"
    assert max(row[2] for row in before) <= killed_at < min(row[2] for row in after)
    outage = min(row[2] for row in after) - max(row[2] for row in before)

    present = {row[0] for row in byname[second].sql("SELECT id FROM test.acked")}
    lost = sorted(row[0] for row in acked if row[0] not in present)
    assert not lost, f"{len(lost)} acknowledged rows missing on {second}: {lost[:20]}"
    report_figure(f"mariadb promotable failover (3 nodes, power cut of the Promoted): "
                  f"new Promoted after {promoted_after:.1f}s, client write outage "
                  f"{outage:.1f}s, {len(acked)} acknowledged rows, 0 lost")
