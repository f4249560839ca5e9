"""The single entry point: every outcome becomes an exit code, with an exit reason when it helps."""

from __future__ import annotations

import pytest

from ocf_lib.agent import Agent
from ocf_lib.codes import (
    OCF_DEGRADED,
    OCF_ERR_CONFIGURED,
    OCF_ERR_INSTALLED,
    OCF_NOT_RUNNING,
    OCFError,
)

pytestmark = pytest.mark.unit


def make_agent() -> Agent:
    agent = Agent("demo", "Demo agent", "An agent for tests.")
    agent.add_parameter("target", "Target", "What to manage.", required=True)
    agent.add_parameter("tries", "Tries", "How often.", "integer", default=3)
    calls = agent.calls = []  # type: ignore[attr-defined]

    @agent.validator
    def target_exists(ctx) -> None:
        if ctx.params.target == "missing":
            raise OCFError(OCF_ERR_INSTALLED, "target is not installed here")

    @agent.action("start", timeout=30)
    def start(ctx) -> None:
        calls.append(("start", ctx.params.target, ctx.deadline.budget_s))

    @agent.action("stop", timeout=20)
    def stop(ctx) -> int:
        calls.append(("stop", ctx.params.target, [p.reason for p in ctx.params.problems]))
        return 0

    @agent.action("monitor", timeout=20, interval=10)
    def monitor(ctx) -> int:
        if ctx.params.target == "explode":
            raise RuntimeError("boom\nsecond line")
        if ctx.params.target == "lonely":
            raise OCFError(OCF_DEGRADED, "peer disconnected")
        raise OCFError(OCF_NOT_RUNNING, "") if ctx.env.is_probe else OCFError(
            OCF_NOT_RUNNING, "target gone")

    return agent


def run(agent: Agent, action: str, capsys, **params: str) -> tuple[int, str, str]:
    environ = {"OCF_RESOURCE_INSTANCE": "r1", **{f"OCF_RESKEY_{k}": v for k, v in params.items()}}
    rc = agent.run(["demo", action], environ)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_unknown_action_is_unimplemented_with_a_reason(capsys) -> None:
    rc, _, err = run(make_agent(), "promote", capsys, target="x")
    assert rc == 3
    assert err.splitlines()[-1] == "ocf-exit-reason:demo does not implement promote"


def test_missing_required_parameter_fails_start_but_not_stop(capsys) -> None:
    agent = make_agent()
    rc, _, err = run(agent, "start", capsys)
    assert rc == OCF_ERR_CONFIGURED
    assert "ocf-exit-reason:required parameter target is not set" in err
    rc, _, _ = run(agent, "stop", capsys)
    assert rc == 0
    assert agent.calls == [("stop", None, ["required parameter target is not set"])]


def test_probe_without_parameters_answers_not_running_without_reason(capsys) -> None:
    rc, _, err = run(make_agent(), "monitor", capsys)
    assert rc == OCF_NOT_RUNNING and "ocf-exit-reason" not in err


def test_validators_run_for_validate_all_and_actions(capsys) -> None:
    agent = make_agent()
    assert run(agent, "validate-all", capsys, target="missing")[0] == OCF_ERR_INSTALLED
    assert run(agent, "start", capsys, target="missing")[0] == OCF_ERR_INSTALLED
    assert run(agent, "validate-all", capsys, target="ok")[0] == 0
    assert agent.calls == []


def test_unexpected_exception_is_generic_error_with_traceback_in_log(capsys) -> None:
    rc, _, err = run(make_agent(), "monitor", capsys, target="explode",
                     CRM_meta_interval="10000")
    assert rc == 1
    reason = [line for line in err.splitlines() if line.startswith("ocf-exit-reason:")]
    assert reason == ["ocf-exit-reason:internal error in monitor: RuntimeError: boom second line"]
    assert "Traceback (most recent call last)" in err
    assert err.splitlines()[-1].startswith("ocf-exit-reason:")


def test_deadline_comes_from_meta_timeout_or_the_declared_timeout(capsys) -> None:
    agent = make_agent()
    run(agent, "start", capsys, target="a", CRM_meta_timeout="90000")
    run(agent, "start", capsys, target="b")
    assert [call[2] for call in agent.calls] == [90.0, 30.0]


def test_meta_data_prints_xml_and_advertises_validate_all(capsys) -> None:
    rc, out, _ = run(make_agent(), "meta-data", capsys)
    assert rc == 0 and out.startswith('<?xml version="1.0"?>\n<!DOCTYPE resource-agent')
    assert '<action name="validate-all" timeout="20s"/>' in out
    assert 'name="promote"' not in out


def test_reason_logged_to_ha_logfile_with_resource_tag(tmp_path, capsys) -> None:
    logfile = tmp_path / "ha.log"
    agent = make_agent()
    rc = agent.run(["demo", "monitor"], {"OCF_RESOURCE_INSTANCE": "r1", "OCF_RESKEY_target": "x",
                                         "OCF_RESKEY_CRM_meta_interval": "10000",
                                         "HA_LOGFILE": str(logfile)})
    err = capsys.readouterr().err
    assert rc == OCF_NOT_RUNNING
    assert err == "ocf-exit-reason:target gone\n"   # the log line went to the file, not stderr
    line = logfile.read_text()
    assert line.startswith("demo(r1)[") and "INFO: monitor: target gone" in line


@pytest.mark.parametrize(("target", "code", "level"), [
    ("x", OCF_NOT_RUNNING, "INFO"), ("lonely", OCF_DEGRADED, "WARNING"),
    ("explode", 1, "ERROR")])
def test_log_level_follows_what_the_code_means(tmp_path, capsys, target, code, level) -> None:
    """A degraded resource runs: it earns a warning each monitor, not an error."""
    logfile = tmp_path / "ha.log"
    rc = make_agent().run(["demo", "monitor"], {
        "OCF_RESOURCE_INSTANCE": "r1", "OCF_RESKEY_target": target,
        "OCF_RESKEY_CRM_meta_interval": "10000", "HA_LOGFILE": str(logfile)})
    capsys.readouterr()
    assert rc == code
    assert f"{level}: monitor: " in logfile.read_text().splitlines()[-1]
