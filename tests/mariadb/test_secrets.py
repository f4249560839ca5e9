"""Passwords never reach a command line, a log or an exit reason.

While the agent starts, monitors, promotes and re-points replicas with a monitoring password
and a replication password, a sampler reads every process's /proc/PID/cmdline every
millisecond; the agents log everything they can (HA_debug=1) to HA_LOGFILE and HA_DEBUGLOG.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ocf_lib.codes import OCF_ERR_GENERIC, OCF_RUNNING_PROMOTED, OCF_SUCCESS
from tests.mariadb.conftest import REPLICATION_PASSWORD, Trio, replicated

pytestmark = pytest.mark.netns

TEST_PASSWORD = "chk-Secret-0815"
WRONG_PASSWORD = "wrong-Secret-1234"
SECRETS = (TEST_PASSWORD, REPLICATION_PASSWORD, WRONG_PASSWORD)
CANARY = "canary-Secret-2718"   # put on a command line on purpose: proves the sampler sees it


# Runs as a process of its own (a thread of the test process stalls while it spawns agents).
SAMPLER = r"""
import json, os, sys
secrets = [word.encode() for word in sys.argv[1:]]
samples, hits = 0, []
while not os.path.exists(STOP):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                argv = cmdline.read()
        except OSError:
            continue
        if any(secret in argv for secret in secrets):
            hits.append(argv.replace(b"\0", b" ").decode(errors="replace"))
    samples += 1
print(json.dumps({"samples": samples, "hits": hits}))
"""


@contextmanager
def cmdline_sampler(stop_file: Path) -> Iterator[dict]:
    """Samples every command line until the block ends; yields {"samples": n, "hits": [...]}
    (filled in at the end)."""
    found: dict = {}
    script = SAMPLER.replace("STOP", repr(str(stop_file)))
    sampler = subprocess.Popen(["/usr/bin/python3", "-c", script, *SECRETS, CANARY],
                               stdout=subprocess.PIPE, text=True)
    try:
        yield found
    finally:
        stop_file.touch()
        output, _ = sampler.communicate(timeout=30)
        found.update(json.loads(output))


def create_checker(trio: Trio) -> None:
    """A monitoring account with a password on every server, made before the agent runs."""
    for name, node in trio.nodes.items():
        host = next(h for h in trio.lan.hosts if h.name == name)
        node.db.start(netns=host.netns)
        with node.db.connect() as session, session.cursor() as cursor:
            cursor.execute("SET SESSION sql_log_bin = 0")
            cursor.execute("CREATE USER 'checker'@'localhost' IDENTIFIED BY %s", (TEST_PASSWORD,))
            cursor.execute("GRANT ALL ON *.* TO 'checker'@'localhost'")
        node.db.shutdown()


def test_no_password_on_any_command_line_or_in_any_log(trio: Trio, tmp_path: Path) -> None:
    create_checker(trio)
    logfile, debuglog = tmp_path / "ha.log", tmp_path / "ha-debug.log"
    transcript = []
    for node in trio.nodes.values():
        node.params.update(test_user="checker", test_passwd=TEST_PASSWORD)
        node.env.update(HA_LOGFILE=str(logfile), HA_DEBUGLOG=str(debuglog), HA_debug="1")
    with cmdline_sampler(tmp_path / "stop-sampling") as sampled:
        subprocess.run(["sleep", "0.05", CANARY], check=False, capture_output=True)
        replicated(trio)
        for name, node in trio.nodes.items():
            for level in (0, 10, 20):
                result = node.monitor(level=level)
                transcript.append(result.stdout + result.stderr)
                assert result.rc == (OCF_RUNNING_PROMOTED if name == "node1" else OCF_SUCCESS)
        trio.promote("node2", ["node1", "node2", "node3"], demoted="node1")
        trio.wait_replicating(["node1", "node3"])
        wrong = trio.nodes["node3"].run("monitor", meta={"interval": "20000"},
                                        params={"test_passwd": WRONG_PASSWORD})
        transcript.append(wrong.stdout + wrong.stderr)
        assert wrong.rc == OCF_ERR_GENERIC and "Access denied" in wrong.exit_reason
    assert sampled["samples"] > 100, "the sampler barely ran"
    canary = [hit for hit in sampled["hits"] if CANARY in hit]
    assert canary, "the sampler missed a command line it should have seen"
    leaks = [hit for hit in sampled["hits"] if CANARY not in hit]
    assert not leaks, f"a password on a command line: {leaks}"
    logs = logfile.read_text() + debuglog.read_text()
    assert "CHANGE MASTER" in logs or "replicating from" in logs   # the logs are not empty
    for secret in SECRETS:
        assert secret not in logs, "a password in the agent's log"
        assert not any(secret in text for text in transcript), "a password in agent output"
