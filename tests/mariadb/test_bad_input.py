"""mariadb with bad input: the exact OCF code and an exit reason naming the problem, never a
traceback; start refuses like validate-all and starts nothing; stop and probes answer calmly."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from ocf_lib.codes import (
    OCF_ERR_ARGS,
    OCF_ERR_CONFIGURED,
    OCF_ERR_INSTALLED,
    OCF_NOT_RUNNING,
    OCF_SUCCESS,
)
from tests.lab.agents import AgentResult, run_agent

pytestmark = pytest.mark.check

# Free text sent only inside connections: no value is invalid.
FREE_TEXT = ("test_passwd", "replication_passwd")


@dataclass(frozen=True)
class BadInput:
    params: dict[str, str]
    code: int
    mentions: str


def bad(name: str, label: str, value: str, code: int = OCF_ERR_CONFIGURED,
        mentions: str | None = None, **others: str):
    return pytest.param(BadInput({**others, name: value}, code, mentions or name),
                        id=f"{name}-{label}")


BAD_VALUES = [
    bad("binary", "relative", "mariadbd"),
    bad("binary", "missing", "/usr/sbin/no-such-mariadbd", OCF_ERR_INSTALLED),
    bad("binary", "not-executable", "/etc/passwd", OCF_ERR_INSTALLED),
    bad("binary", "directory", "/usr/sbin", OCF_ERR_INSTALLED),
    bad("config", "relative", "my.cnf"),
    bad("config", "missing", "/etc/mysql/no-such.cnf", OCF_ERR_INSTALLED),
    bad("datadir", "relative", "var/lib/mysql"),
    bad("datadir_mount", "relative", "srv"),
    bad("datadir_mount", "not-above-datadir", "/srv/drbd", mentions="not below"),
    bad("datadir_mount", "the-datadir-itself", "/var/lib/mysql", mentions="not below"),
    bad("user", "space", "my sql"),
    bad("user", "leading-dash", "-mysql"),
    bad("user", "upper-case", "MySQL"),
    bad("user", "missing-here", "nosuchuser", OCF_ERR_ARGS, mentions="does not exist"),
    bad("pid", "relative", "mysqld.pid"),
    bad("socket", "relative", "mysqld.sock"),
    bad("log", "relative", "error.log"),
    bad("port", "zero", "0"),
    bad("port", "too-large", "65536"),
    bad("port", "letter-o", "33o6"),
    bad("port", "fullwidth-digits", "３３０６"),
    bad("additional_parameters", "unbalanced-quote", "--skip-name-resolve '--x"),
    bad("additional_parameters", "positional-word", "--skip-name-resolve extra"),
    bad("additional_parameters", "defaults-file", "--defaults-file=/etc/other.cnf"),
    bad("additional_parameters", "shell-syntax", "--bind-address=0.0.0.0; reboot"),
    bad("test_user", "space", "moni tor"),
    bad("test_user", "quote", "o'neil"),
    bad("test_user", "too-long", "u" * 81),
    bad("test_table", "no-database", "user"),
    bad("test_table", "three-parts", "a.b.c"),
    bad("test_table", "sql-injection", "mysql.user; DROP TABLE mysql.user"),
    bad("heartbeat_table", "space", "pyha.heart beat"),
    bad("heartbeat_table", "backtick", "pyha.`hb`"),
    bad("replication_user", "space", "re pl"),
    bad("replication_port", "zero", "0"),
    bad("replication_port", "word", "mysql"),
    bad("max_slave_lag", "negative", "-1"),
    bad("max_slave_lag", "fraction", "1.5"),
    bad("max_slave_lag", "with-unit", "60s"),
    bad("node_addresses", "no-address", "node1"),
    bad("node_addresses", "empty-address", "node1="),
    bad("node_addresses", "twice", "node1=10.0.0.1 node1=10.0.0.2"),
    bad("node_addresses", "shell-syntax", "node1=$(reboot)"),
    bad("node_addresses", "stray-word", "node1=10.0.0.1 node2"),
]

COMBINATIONS = [
    pytest.param(BadInput({"replication_passwd": "secret"}, OCF_ERR_CONFIGURED,
                          "replication_passwd needs replication_user"),
                 id="combination-replication-password-without-user"),
]


def agent(action: str, params: Mapping[str, str], rsctmp: str,
          meta: Mapping[str, str] | None = None) -> AgentResult:
    return run_agent("mariadb", action, instance="bad-input", params=params, meta=meta,
                     extra_env={"HA_RSCTMP": rsctmp})


def assert_answer(result: AgentResult, case: BadInput, what: str) -> None:
    assert "Traceback" not in result.stderr, f"{what}: traceback\n{result.stderr}"
    assert result.rc == case.code, f"{what}: rc {result.rc}: {result.exit_reason}"
    assert result.exit_reason and case.mentions.lower() in result.exit_reason.lower(), \
        f"{what}: exit reason {result.exit_reason!r} does not name {case.mentions!r}"


def test_table_covers_every_declared_parameter() -> None:
    metadata = run_agent("mariadb", "meta-data")
    declared = {p.get("name") for p in ET.fromstring(metadata.stdout).iter("parameter")}
    tried = {param.id.split("-")[0] for param in BAD_VALUES}
    assert tried | set(FREE_TEXT) == declared


def test_defaults_validate_on_this_host(tmp_path) -> None:
    assert agent("validate-all", {}, str(tmp_path)).rc == OCF_SUCCESS


@pytest.mark.parametrize("case", BAD_VALUES + COMBINATIONS)
def test_bad_input_is_refused_with_its_reason_and_nothing_starts(tmp_path, case: BadInput) -> None:
    if os.geteuid() != 0:
        pytest.skip("start would need root")
    rsctmp = str(tmp_path)
    assert_answer(agent("validate-all", case.params, rsctmp), case, "validate-all")
    start = agent("start", case.params, rsctmp)
    assert_answer(start, case, "start")
    assert "started" not in start.stderr and not os.listdir(rsctmp), "start began anyway"
    stop = agent("stop", case.params, rsctmp)
    assert stop.rc == OCF_SUCCESS and "Traceback" not in stop.stderr, stop.stderr
    probe = agent("monitor", case.params, rsctmp, meta={"interval": "0"})
    assert probe.rc == OCF_NOT_RUNNING and "Traceback" not in probe.stderr, probe.stderr
