"""The mariadb agent as a promotable clone (seed 002: two or more servers with GTID replication),
three real servers in network namespaces, Pacemaker's actions and notifications played in
order by the test. Failover under a real Pacemaker is in test_failover.py."""

from __future__ import annotations

import time

import pymysql
import pytest

from ocf_lib.codes import OCF_DEGRADED, OCF_ERR_GENERIC, OCF_RUNNING_PROMOTED, OCF_SUCCESS
from tests.mariadb.conftest import Trio, replicated

pytestmark = pytest.mark.netns

EVERY = ["node1", "node2", "node3"]


def test_promoted_is_writable_replicas_follow_it_and_a_switchover_repoints_them(
        trio: Trio) -> None:
    replicated(trio)
    node1, node2, node3 = (trio.nodes[name] for name in EVERY)
    assert node1.monitor().rc == OCF_RUNNING_PROMOTED
    for replica in (node2, node3):
        assert replica.monitor(level=10).rc == OCF_SUCCESS
        assert replica.db.value("SELECT @@read_only") == 1
        assert replica.db.replica_status()["Using_Gtid"] == "Slave_Pos"

    trio.promote("node2", EVERY, demoted="node1")
    assert node1.db.value("SELECT @@read_only") == 1
    assert node2.db.value("SELECT @@read_only") == 0
    assert node2.db.replica_status() is None      # replication reset on the Promoted
    trio.wait_replicating(["node1", "node3"])
    node2.db.sql("INSERT INTO test.t VALUES (2)")
    trio.wait_for_row(["node1", "node3"], "test.t", 2)
    assert node2.monitor().rc == OCF_RUNNING_PROMOTED
    assert node1.monitor(level=20).rc == OCF_SUCCESS
    assert node3.monitor().rc == OCF_SUCCESS
    # the depth-20 heartbeat of a replica never became a GTID of its own
    assert "-1-" not in node1.db.value("SELECT @@gtid_binlog_pos").split(",")[0][1:]


def test_demote_closes_client_connections_that_could_still_write(trio: Trio) -> None:
    replicated(trio)
    node1 = trio.nodes["node1"]
    client = node1.db.connect()   # root: read_only alone would not stop it
    node1.ok("demote")
    assert node1.db.value("SELECT @@read_only") == 1
    with pytest.raises(pymysql.err.OperationalError, match=r"2013|2006"), \
            client.cursor() as cursor:
        cursor.execute("INSERT INTO test.t VALUES (99)")
    assert node1.monitor().rc == OCF_SUCCESS


def test_a_replica_with_a_broken_sql_thread_fails_monitor_and_is_never_promoted(
        trio: Trio) -> None:
    replicated(trio)
    node3 = trio.nodes["node3"]
    with node3.db.connect() as session, session.cursor() as cursor:
        cursor.execute("SET SESSION sql_log_bin = 0")   # a row only node3 has
        cursor.execute("INSERT INTO test.t VALUES (42)")
    trio.nodes["node1"].db.sql("INSERT INTO test.t VALUES (42)")   # duplicate key on node3
    until = time.monotonic() + 20
    while (monitor := node3.monitor()).rc == OCF_SUCCESS:
        assert time.monotonic() < until, "monitor never noticed the broken replica"
        time.sleep(0.1)
    assert monitor.rc == OCF_ERR_GENERIC and "SQL thread error 1062" in monitor.exit_reason
    refused = node3.run("promote")
    assert refused.rc == OCF_ERR_GENERIC and "refusing to promote" in refused.exit_reason
    assert node3.db.value("SELECT @@read_only") == 1
    assert trio.nodes["node2"].monitor().rc == OCF_SUCCESS


def test_a_returning_old_primary_with_diverged_transactions_is_reported_not_rewired(
        trio: Trio) -> None:
    replicated(trio)
    node1, node2 = trio.nodes["node1"], trio.nodes["node2"]
    host1 = trio.lan.hosts[0]
    trio.lan.cut(host1)
    # Written on node1 only: semi-sync gives up after its timeout and commits locally.
    node1.db.sql("INSERT INTO test.t VALUES (100)")
    node1.db.kill()                                     # then node1 dies
    trio.promote("node2", ["node2", "node3"])
    node2.db.sql("INSERT INTO test.t VALUES (101)")     # the new primary moves on
    trio.lan.heal(host1)
    until = time.monotonic() + 10
    while host1.run(["ping", "-c1", "-W1", "10.77.0.2"], check=False).returncode != 0:
        assert time.monotonic() < until, "node1 does not reach node2 after the cable is back"
    node1.ok("stop")
    node1.ok("start")
    trio.notify("post", "start", active=["node2", "node3"], promoted=["node2"], start=["node1"])
    until = time.monotonic() + 20
    while (monitor := node1.monitor()).rc == OCF_SUCCESS:
        assert time.monotonic() < until, "monitor never reported the divergence"
        time.sleep(0.1)
    assert monitor.rc == OCF_ERR_GENERIC and "diverged" in monitor.exit_reason
    refused = node1.run("promote")
    assert refused.rc == OCF_ERR_GENERIC and "refusing to promote" in refused.exit_reason
    # nothing of node2's was mixed into node1, and node1's extra row is still there for a human
    assert node1.db.value("SELECT COUNT(*) FROM test.t WHERE id = 101") == 0
    assert node1.db.value("SELECT COUNT(*) FROM test.t WHERE id = 100") == 1
    assert node1.db.value("SELECT @@read_only") == 1


def test_the_most_advanced_replica_scores_highest_and_a_promoted_laggard_catches_up_first(
        trio: Trio) -> None:
    replicated(trio)
    node1, node2, node3 = (trio.nodes[name] for name in EVERY)
    assert [trio.score(name) for name in EVERY] == ["1000", "1000", "1000"]
    host3 = trio.lan.hosts[2]
    trio.lan.cut(host3)                                 # node3 falls behind
    for key in range(200, 210):
        node1.db.sql("INSERT INTO test.t VALUES (%s)", (key,))   # acknowledged by node2
    node1.db.kill()                                     # the primary dies
    trio.lan.cut(trio.lan.hosts[0])   # (its kernel would still deliver what it had sent)
    trio.lan.heal(host3)
    survivors = ["node2", "node3"]
    # node2 only lost its primary: fit, degraded, and it keeps its score.
    until = time.monotonic() + 15
    while (monitor := node2.monitor()).rc != OCF_DEGRADED:
        assert monitor.rc == OCF_SUCCESS and time.monotonic() < until, monitor.exit_reason
        time.sleep(0.1)
    assert "cannot reach the primary" in monitor.exit_reason and trio.score("node2") == "1000"
    # Before a promotion every replica publishes where it is; node3 sees node2 further.
    trio.notify("pre", "promote", active=survivors, promote=["node3"], on=survivors)
    assert trio.position("node2") != trio.position("node3")
    assert node3.monitor().rc in (OCF_SUCCESS, OCF_DEGRADED) and trio.score("node3") == "100"

    # Were node3 promoted all the same, it first fetches what node2 has.
    node3.ok("promote")
    trio.notify("post", "promote", active=survivors, promote=["node3"])
    assert node3.db.value("SELECT @@read_only") == 0
    assert node3.db.value("SELECT COUNT(*) FROM test.t WHERE id >= 200") == 10
    trio.wait_replicating(["node2"])
    node3.db.sql("INSERT INTO test.t VALUES (300)")
    trio.wait_for_row(["node2"], "test.t", 300)
    assert node2.monitor().rc == OCF_SUCCESS and node3.monitor().rc == OCF_RUNNING_PROMOTED


def test_a_restarted_replica_resumes_and_is_promotable_after_its_primary_died(
        trio: Trio) -> None:
    replicated(trio)
    node1, node2 = trio.nodes["node1"], trio.nodes["node2"]
    node2.ok("stop")
    # The server starts with --skip-slave-start; start resumes replication from the Promoted
    # the last notification named, with its checks.
    node2.ok("start")
    trio.wait_replicating(["node2"])
    assert node2.monitor().rc == OCF_SUCCESS
    node1.db.sql("INSERT INTO test.t VALUES (7)")
    trio.wait_for_row(["node2"], "test.t", 7)

    node1.db.kill()              # the primary dies while node2 restarts
    node2.ok("stop")
    node2.ok("start")
    trio.promote("node2", ["node2", "node3"], cut_off=("node3",))
    assert node2.db.value("SELECT @@read_only") == 0
    assert node2.db.value("SELECT COUNT(*) FROM test.t WHERE id = 7") == 1
