"""Exit codes, environment, parameters and deadlines: the pieces every agent stands on."""

from __future__ import annotations

import time

import pytest

from ocf_lib import codes
from ocf_lib.deadline import Deadline, DeadlineExceeded
from ocf_lib.environment import OcfEnvironment, parse_boolean
from ocf_lib.parameters import Parameter, in_range, one_of, read_parameters

pytestmark = pytest.mark.unit


def test_exit_codes_are_ocf_1_1() -> None:
    assert [codes.OCF_SUCCESS, codes.OCF_ERR_GENERIC, codes.OCF_ERR_ARGS,
            codes.OCF_ERR_UNIMPLEMENTED, codes.OCF_ERR_PERM, codes.OCF_ERR_INSTALLED,
            codes.OCF_ERR_CONFIGURED, codes.OCF_NOT_RUNNING, codes.OCF_RUNNING_PROMOTED,
            codes.OCF_FAILED_PROMOTED, codes.OCF_DEGRADED, codes.OCF_DEGRADED_PROMOTED] == [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 190, 191]
    assert codes.OCF_RUNNING_MASTER == 8 and codes.OCF_FAILED_MASTER == 9
    assert codes.code_name(191) == "OCF_DEGRADED_PROMOTED"


def test_ocf_error_carries_code_and_reason() -> None:
    err = codes.OCFError(codes.OCF_ERR_CONFIGURED, "ip is wrong")
    assert (err.code, err.reason) == (6, "ip is wrong")
    assert str(err) == "OCF_ERR_CONFIGURED: ip is wrong"


def test_environment_reads_action_params_and_meta() -> None:
    env = OcfEnvironment.from_environ(["agent", "monitor"], {
        "OCF_RESOURCE_INSTANCE": "vip", "OCF_RESKEY_ip": "10.0.0.1",
        "OCF_RESKEY_CRM_meta_interval": "10000", "OCF_RESKEY_CRM_meta_timeout": "30000",
        "OCF_RESKEY_CRM_meta_promoted_max": "1", "OCF_RESKEY_crm_feature_set": "3.16.2",
        "OCF_CHECK_LEVEL": "10", "HA_RSCTMP": "/tmp/x"})
    assert env.action == "monitor" and env.instance == "vip"
    assert env.params == {"ip": "10.0.0.1"}
    assert env.meta["promoted_max"] == "1"
    assert (env.interval_ms, env.timeout_ms, env.check_level) == (10000, 30000, 10)
    assert env.feature_set == (3, 16, 2) and env.rsctmp == "/tmp/x"
    assert not env.is_probe


def test_probe_is_monitor_with_interval_zero_or_none() -> None:
    for meta in ({}, {"OCF_RESKEY_CRM_meta_interval": "0"}):
        assert OcfEnvironment.from_environ(["a", "monitor"], meta).is_probe
    assert not OcfEnvironment.from_environ(["a", "start"], {}).is_probe


def test_action_comes_from_ocf_tester_variable_without_argv() -> None:
    env = OcfEnvironment.from_environ(["agent"], {"__OCF_ACTION": "start"})
    assert env.action == "start"
    assert env.rsctmp == "/run/resource-agents" and env.timeout_ms is None


@pytest.mark.parametrize("text,value", [("yes", True), ("TRUE", True), ("1", True),
                                        ("on", True), ("no", False), ("false", False),
                                        ("0", False), (" off ", False)])
def test_booleans_accept_ocf_truth_words(text: str, value: bool) -> None:
    assert parse_boolean(text) is value


def test_booleans_reject_other_words() -> None:
    with pytest.raises(ValueError):
        parse_boolean("maybe")


DECLARED = [
    Parameter("name", "s", "l", required=True),
    Parameter("count", "s", "l", "integer", default=5, check=in_range(0, 10)),
    Parameter("flag", "s", "l", "boolean", default=False),
    Parameter("mode", "s", "l", default="a", check=one_of("a", "b")),
]


def test_parameters_are_typed_and_defaulted() -> None:
    values = read_parameters(DECLARED, {"name": "x", "count": "7", "flag": "yes"})
    assert (values.name, values.count, values.flag, values.mode) == ("x", 7, True, "a")
    assert values.is_set("count") and not values.is_set("mode")
    assert not values.problems


def test_missing_required_parameter_is_a_problem_not_an_exception() -> None:
    values = read_parameters(DECLARED, {})
    assert values.name is None
    with pytest.raises(codes.OCFError) as raised:
        values.raise_first_problem()
    assert raised.value.code == codes.OCF_ERR_CONFIGURED
    assert "name" in raised.value.reason


def test_empty_value_means_unset() -> None:
    values = read_parameters(DECLARED, {"name": "x", "count": ""})
    assert values.count == 5 and not values.problems


@pytest.mark.parametrize("given,reason", [({"count": "11"}, "between 0 and 10"),
                                          ({"count": "five"}, "not an integer"),
                                          ({"count": "5.0"}, "not an integer"),
                                          ({"flag": "perhaps"}, "not a boolean"),
                                          ({"mode": "c"}, "one of a, b")])
def test_bad_values_name_the_parameter_and_the_problem(given: dict, reason: str) -> None:
    values = read_parameters(DECLARED, {"name": "x", **given})
    (problem,) = values.problems
    assert problem.code == codes.OCF_ERR_CONFIGURED
    assert next(iter(given)) in problem.reason and reason in problem.reason


def test_unknown_parameters_are_listed() -> None:
    assert read_parameters(DECLARED, {"name": "x", "arp_bg": "1"}).unknown == ["arp_bg"]


def test_declaration_refuses_unknown_types_and_required_defaults() -> None:
    with pytest.raises(ValueError):
        Parameter("p", "s", "l", "numeric")
    with pytest.raises(ValueError):
        Parameter("p", "s", "l", required=True, default="x")


def test_deadline_keeps_a_margin_and_bounds_waits() -> None:
    deadline = Deadline.from_timeout_ms(20000)
    assert 17.5 < deadline.remaining() <= 18.0
    assert deadline.bounded(1.0) == 1.0
    short = Deadline(0.4, margin_s=0.1)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        short.wait_for(lambda: False, interval=0.05, what="never")
    assert 0.25 < time.monotonic() - started < 0.5


def test_deadline_wait_for_returns_the_condition_value() -> None:
    assert Deadline(5).wait_for(lambda: "done") == "done"


def test_tiny_budget_keeps_half_for_work() -> None:
    assert Deadline(1.0).margin_s == 0.5
