"""The RPM's %check (`python3 -m tools.agentdoc check`): it passes every agent and fails
metadata that ocf-tester, resource-agents' RNG or pyha's profile would refuse."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ocf_lib.actions import Action
from ocf_lib.metadata import build_metadata
from ocf_lib.parameters import Parameter
from tests.lab.agents import ROOT, agent_path
from tests.packaging.conftest import AGENTS
from tools.agentdoc.validate import profile_problems, schema_problems

GOOD = build_metadata("good", "1.0", "short", "long", [Parameter("p", "short", "long")],
                      [Action("start", 20), Action("stop", 20), Action("monitor", 20, 10),
                       Action("monitor", 20, 11, role="Promoted"), Action("promote", 20),
                       Action("demote", 20), Action("validate-all", 20),
                       Action("meta-data", 5)])


@pytest.mark.unit
def test_metadata_built_by_ocf_lib_keeps_the_profile() -> None:
    assert profile_problems(GOOD, "good") == []


@pytest.mark.unit
@pytest.mark.parametrize(("change", "problem"), [
    (('name="good"', 'name="other"'), "but the agent is called 'good'"),
    (("<version>1.1<", "<version>1.0<"), "OCF version '1.0'"),
    (('type="string"', 'type="numeric"'), "content type 'numeric'"),
    (('unique="0"', 'unique="0" reloadable="1"'), "attribute reloadable"),
    (('required="0"', 'required="no"'), "required='no'"),
    (('role="Promoted"', 'role="Master"'), "role 'Master'"),
    (('<action name="stop" timeout="20s"/>', '<action name="stop"/>'), "'stop' has no timeout"),
    (('name="validate-all"', 'name="reload-agent"'), "'reload-agent' is not in"),
    (('interval="11s"', 'interval="10s"'), "monitor intervals repeat"),
    (('<action name="demote" timeout="20s"/>', ""), "promote and demote come together"),
    (('<shortdesc lang="en">short</shortdesc>', ""), "agent: no shortdesc"),
    (("</parameters>", '<parameter name="p" unique="0" required="0"><longdesc>l</longdesc>'
      '<shortdesc>s</shortdesc><content type="string"/></parameter></parameters>'),
     "'p' declared twice"),
])
def test_profile_refuses(change: tuple[str, str], problem: str) -> None:
    old, new = change
    assert old in GOOD
    problems = profile_problems(GOOD.replace(old, new, 1), "good")
    assert any(problem in text for text in problems), problems


@pytest.mark.check
def test_schemas_accept_ocf_lib_metadata_and_refuse_what_they_refuse() -> None:
    assert schema_problems(GOOD) == []
    # type="time" passes ra-api-1.dtd and fails metadata.rng: both schemas are consulted.
    problems = schema_problems(GOOD.replace('type="string"', 'type="time"'))
    assert [problem for problem in problems if "relaxng" in problem], problems
    problems = schema_problems(GOOD.replace('unique="0"', 'unique="0" reloadable="1"'))
    assert [problem for problem in problems if "--valid" in problem], problems


@pytest.mark.check
def test_missing_schemas_fail_rather_than_check_less(tmp_path) -> None:
    assert [problem for problem in schema_problems(GOOD, str(tmp_path)) if "is missing" in problem]


@pytest.mark.check
def test_check_command_passes_every_agent_and_fails_a_bad_one(tmp_path) -> None:
    bad = tmp_path / "good"
    bad.write_text("#!/bin/sh\ncat <<'EOF'\n" + GOOD.replace('role="Promoted"', 'role="Master"')
                   + "EOF\n")
    bad.chmod(0o755)
    done = subprocess.run([sys.executable, "-m", "tools.agentdoc", "check",
                           *map(agent_path, AGENTS), str(bad)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [*(f"{agent}: ok" for agent in AGENTS), "good: FAILED"]
    assert "good: action 'monitor': role 'Master'" in done.stderr
