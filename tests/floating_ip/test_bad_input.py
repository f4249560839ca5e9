"""floating-ip with bad input: only the proper OCF codes, always an exit reason, never a traceback,
and nothing of a parameter value ever reaches a shell.

A table pins the exact answer to invalid values of every declared parameter and to inconsistent
combinations; hypothesis throws arbitrary text at each parameter; canaries (`touch` hidden in shell
syntax) prove that no value is ever interpreted by a shell, health_command included, which is run
as a program by argv.

The table and the hypothesis tests share one namespace per module (`node`): a lab per case would
cost seconds, and hypothesis rejects function-scoped fixtures. Every case checks that it left no
address behind and stops whatever it started.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, configuration, given, settings
from hypothesis import strategies as st

from ocf_lib.codes import (
    OCF_ERR_ARGS,
    OCF_ERR_CONFIGURED,
    OCF_ERR_INSTALLED,
    OCF_NOT_RUNNING,
    OCF_SUCCESS,
)
from tests.lab import netns
from tests.lab.agents import AgentResult, run_agent

if TYPE_CHECKING:
    from _pytest.mark.structures import ParameterSet

pytestmark = pytest.mark.netns

PARAMETERS = (
    "ip", "nic", "cidr_netmask", "broadcast", "iflabel", "arp_count", "arp_interval",
    "run_arping", "nodad", "noprefixroute", "preferred_lft", "port", "probe_address",
    "health_tcp", "health_command", "health_interval", "health_timeout",
)
VALIDATE_CODES = {OCF_SUCCESS, OCF_ERR_ARGS, OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED}

IP4 = "10.77.0.50"   # in the lab's subnet, held by no host
IP6 = "fd77::50"
PORT = "18080"       # free in the module's private namespace
WITH_IP4 = {"ip": IP4, "arp_count": "0"}   # no announcements: a wrongly accepted start stays quick
WITH_IP6 = {"ip": IP6, "arp_count": "0"}
WITH_PORT = {"port": PORT}

# Where the table's shell syntax would `touch` if anything ever handed a value to a shell.
# No dots in it: a dotted path could pass for a netmask.
TABLE_CANARY = f"/tmp/pyha-bad-input-canary-{os.getpid()}"

# A value for every parameter that is valid on its own; the shell rows append to it.
VALID = {
    "ip": IP4, "nic": "eth0", "cidr_netmask": "24", "broadcast": "10.77.0.255", "iflabel": "svc",
    "arp_count": "5", "arp_interval": "200", "run_arping": "true", "nodad": "true",
    "noprefixroute": "true", "preferred_lft": "forever", "port": PORT,
    "probe_address": "10.77.0.1", "health_tcp": "127.0.0.1:3306", "health_command": "/bin/true",
    "health_interval": "2", "health_timeout": "1",
}
# The configuration each parameter's bad values are tried in: the one where it matters.
BASES: dict[str, dict[str, str]] = {
    "ip": {}, "port": {},
    **{name: WITH_IP4 for name in ("nic", "cidr_netmask", "broadcast", "iflabel", "arp_count",
                                   "arp_interval", "run_arping", "noprefixroute")},
    **{name: WITH_IP6 for name in ("nodad", "preferred_lft")},
    **{name: WITH_PORT for name in ("probe_address", "health_tcp", "health_command",
                                    "health_interval", "health_timeout")},
}
# Shell syntax in the table, rotated over the parameters (the canary test tries all of it on all).
SHELL_FORMS = {
    "command-substitution": "$(touch {canary})",
    "semicolon": "{valid}; touch {canary}",
    "backticks": "`touch {canary}`",
    "newline": "{valid}\ntouch {canary}",
    "pipe": "{valid} | touch {canary}",
}


@dataclass(frozen=True)
class BadInput:
    params: dict[str, str]
    code: int
    mentions: str  # what the exit reason must name: the parameter, or the problem


def bad(name: str, label: str, value: str, code: int = OCF_ERR_CONFIGURED,
        base: Mapping[str, str] | None = None, mentions: str | None = None) -> ParameterSet:
    params = {**(BASES[name] if base is None else base), name: value}
    return pytest.param(BadInput(params, code, mentions or name), id=f"{name}-{label}")


def combination(label: str, params: Mapping[str, str], code: int,
                mentions: str) -> ParameterSet:
    return pytest.param(BadInput(dict(params), code, mentions), id=f"combination-{label}")


def shell_rows() -> Iterator[ParameterSet]:
    forms = list(SHELL_FORMS.items())
    for number, name in enumerate(PARAMETERS):
        label, form = forms[number % len(forms)]
        if name == "health_command" and label in ("newline", "pipe"):
            # Words after a newline or | are just arguments of /bin/true: a valid command.
            label, form = "semicolon", SHELL_FORMS["semicolon"]
        value = form.format(valid=VALID[name], canary=TABLE_CANARY)
        # "/bin/true;" is an absolute path that does not exist: not installed here.
        code = OCF_ERR_INSTALLED if value.startswith("/bin/true;") else OCF_ERR_CONFIGURED
        yield bad(name, label, value, code)


OVERLONG = "9" * 5000   # more digits than Python converts by default (4300)

BAD_VALUES = [
    # ip: every refusal of parse_ip, and text that is no address at all
    bad("ip", "octet-300", "10.77.0.300"),
    bad("ip", "with-prefix", "10.77.0.50/24"),
    bad("ip", "hostname", "vip.example.com"),
    bad("ip", "unspecified", "0.0.0.0"),
    bad("ip", "loopback", "::1"),
    bad("ip", "multicast", "224.0.0.18"),
    bad("ip", "limited-broadcast", "255.255.255.255"),
    bad("ip", "link-local-v6", "fe80::50"),
    bad("ip", "ipv6-scope-id", "fd77::50%eth0"),
    bad("ip", "whitespace", " \t "),
    bad("ip", "overlong", OVERLONG),
    bad("ip", "fullwidth-digits", "１０.７７.０.５０"),
    # nic: invalid names (6), valid names missing here (2)
    bad("nic", "slash", "eth0/1"),
    bad("nic", "sixteen-chars", "a" * 16),
    bad("nic", "alias-colon", "eth0:1"),
    bad("nic", "dotdot", ".."),
    bad("nic", "trailing-newline", "eth0\n"),
    bad("nic", "sixteen-bytes-unicode", "é" * 8),
    bad("nic", "missing-with-shell-chars", "eth0;reboot", OCF_ERR_ARGS, mentions="exist"),
    bad("nic", "missing-control-char", "\x01", OCF_ERR_ARGS, mentions="exist"),
    # cidr_netmask (33, 129 and a netmask for IPv6: see COMBINATIONS)
    bad("cidr_netmask", "zero", "0"),
    bad("cidr_netmask", "fraction", "24.5"),
    bad("cidr_netmask", "noncontiguous-netmask", "255.255.0.255"),
    bad("cidr_netmask", "hex", "0x18"),
    bad("cidr_netmask", "overlong", OVERLONG),
    bad("cidr_netmask", "arabic-indic-digits", "٢٤"),
    # broadcast
    bad("broadcast", "octet-256", "10.77.0.256"),
    bad("broadcast", "ipv6", "fd77::ff"),
    bad("broadcast", "with-prefix", "10.77.0.255/24"),
    bad("broadcast", "arabic-indic-digits", "١٠.٧٧.٠.٢٥٥"),
    # iflabel
    bad("iflabel", "space", "a b"),
    bad("iflabel", "fifteen-chars", "a" * 15),
    bad("iflabel", "fourteen-chars-never-fit-nic-colon-label", "a" * 14,
        base={**WITH_IP4, "nic": "eth0"}),
    bad("iflabel", "colon", "lab:el"),
    bad("iflabel", "umlaut", "läbel"),
    bad("iflabel", "trailing-newline", "svc\n"),
    # arp_count, arp_interval, health_interval, health_timeout: integers with a range
    bad("arp_count", "negative", "-1"),
    bad("arp_count", "over-100", "101"),
    bad("arp_count", "fraction", "5.0"),
    bad("arp_count", "whitespace", " "),
    bad("arp_count", "fullwidth-digit", "５"),
    bad("arp_interval", "below-10", "9"),
    bad("arp_interval", "over-10000", "10001"),
    bad("arp_interval", "with-unit", "200ms"),
    bad("health_interval", "zero", "0"),
    bad("health_interval", "over-3600", "3601"),
    bad("health_interval", "cjk-numeral", "二"),
    bad("health_timeout", "zero", "0"),
    bad("health_timeout", "over-300", "301"),
    bad("health_timeout", "exponent", "1e3"),
    # booleans
    *(bad(name, label, value)
      for name in ("run_arping", "nodad", "noprefixroute")
      for label, value in (("word", "maybe"), ("whitespace", " "), ("fullwidth", "ｙｅｓ"))),
    # preferred_lft
    bad("preferred_lft", "negative", "-1"),
    bad("preferred_lft", "word", "never"),
    bad("preferred_lft", "fraction", "1.5"),
    bad("preferred_lft", "over-32-bits", "4294967296"),
    bad("preferred_lft", "superscript-digit", "²"),
    # port
    bad("port", "zero", "0"),
    bad("port", "over-65535", "65536"),
    bad("port", "service-name", "http"),
    bad("port", "hex", "0x50"),
    bad("port", "two-lines", "8080\n8081"),
    bad("port", "overlong", OVERLONG),
    bad("port", "underscore", "1_0"),
    bad("port", "fullwidth-digits", "８０８０"),
    # probe_address
    bad("probe_address", "hostname", "localhost"),
    bad("probe_address", "with-port", "10.77.0.1:80"),
    bad("probe_address", "bracketed-ipv6", "[fd77::1]"),
    bad("probe_address", "leading-space", " 10.77.0.1"),
    bad("probe_address", "loopback-documented-never", "127.0.0.1"),
    # health_tcp
    bad("health_tcp", "no-port", "127.0.0.1"),
    bad("health_tcp", "empty-port", "127.0.0.1:"),
    bad("health_tcp", "port-65536", "127.0.0.1:65536"),
    bad("health_tcp", "hostname", "localhost:3306"),
    bad("health_tcp", "service-name", "127.0.0.1:mysql"),
    bad("health_tcp", "ipv6-without-brackets-colon", "[::1]3306"),
    # health_command (a missing program here: see COMBINATIONS)
    bad("health_command", "relative-program", "true"),
    bad("health_command", "unbalanced-quote", "'/bin/true"),
    bad("health_command", "whitespace", " \n "),
    bad("health_command", "not-executable", "/etc/passwd", OCF_ERR_INSTALLED),
    bad("health_command", "directory", "/tmp", OCF_ERR_INSTALLED),
    bad("health_command", "unicode-program", "/usr/bin/trüe", OCF_ERR_INSTALLED),
    # shell syntax
    *shell_rows(),
]

COMBINATIONS = [
    combination("neither-ip-nor-port", {}, OCF_ERR_CONFIGURED, "set ip"),
    combination("neither-ip-nor-port-but-nic", {"nic": "eth0"}, OCF_ERR_CONFIGURED, "set ip"),
    combination("health-tcp-and-health-command",
                {**WITH_PORT, "health_tcp": "127.0.0.1:3306", "health_command": "/bin/true"},
                OCF_ERR_CONFIGURED, "not both"),
    combination("health-tcp-without-port", {**WITH_IP4, "health_tcp": "127.0.0.1:3306"},
                OCF_ERR_CONFIGURED, "need port"),
    combination("health-command-without-port", {**WITH_IP4, "health_command": "/bin/true"},
                OCF_ERR_CONFIGURED, "need port"),
    combination("probe-address-without-port", {**WITH_IP4, "probe_address": "10.77.0.1"},
                OCF_ERR_CONFIGURED, "need port"),
    combination("prefix-33-for-ipv4", {**WITH_IP4, "cidr_netmask": "33"},
                OCF_ERR_CONFIGURED, "cidr_netmask"),
    combination("prefix-129-for-ipv6", {**WITH_IP6, "cidr_netmask": "129"},
                OCF_ERR_CONFIGURED, "cidr_netmask"),
    combination("netmask-for-ipv6", {**WITH_IP6, "cidr_netmask": "255.255.255.0"},
                OCF_ERR_CONFIGURED, "cidr_netmask"),
    combination("nic-missing-here", {**WITH_IP4, "nic": "eth9"}, OCF_ERR_ARGS, "eth9"),
    combination("nic-missing-here-with-netmask", {**WITH_IP6, "nic": "eth9", "cidr_netmask": "64"},
                OCF_ERR_ARGS, "eth9"),
    combination("no-connected-route-ipv4", {"ip": "192.0.2.50"}, OCF_ERR_ARGS, "connected route"),
    combination("no-connected-route-ipv6", {"ip": "2001:db8::50"}, OCF_ERR_ARGS,
                "connected route"),
    combination("health-program-missing-here",
                {**WITH_PORT, "health_command": "/usr/lib/pyha/no-such-check --quiet"},
                OCF_ERR_INSTALLED, "health_command"),
]


# Running the agent ------------------------------------------------------------------------------

def agent(host: netns.Host, action: str, params: Mapping[str, str], rsctmp: str | Path,
          meta: Mapping[str, str] | None = None) -> AgentResult:
    return run_agent("floating-ip", action, instance="bad-input", params=params, meta=meta,
                     netns=host.netns, extra_env={"HA_RSCTMP": str(rsctmp)})


def probe(host: netns.Host, params: Mapping[str, str], rsctmp: str | Path) -> AgentResult:
    return agent(host, "monitor", params, rsctmp, meta={"interval": "0"})


def concurrently(*calls: Callable[[], AgentResult]) -> list[AgentResult]:
    """Independent agent runs side by side: each is mostly interpreter start-up."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def assert_clean(result: AgentResult, what: str) -> None:
    """No traceback, and no unexpected exception turned into a generic error."""
    assert "Traceback" not in result.stderr, f"{what}: traceback\n{result.stderr}"
    assert "internal error" not in (result.exit_reason or ""), f"{what}: {result.exit_reason}"


def assert_answer(result: AgentResult, expected: BadInput, what: str) -> None:
    assert_clean(result, what)
    assert result.rc == expected.code, (
        f"{what}: rc {result.rc}, expected {expected.code}; exit reason {result.exit_reason!r}")
    assert result.exit_reason, f"{what}: rc {result.rc} without an exit reason\n{result.stderr}"
    assert expected.mentions.lower() in result.exit_reason.lower(), (
        f"{what}: exit reason {result.exit_reason!r} does not name {expected.mentions!r}")


def addresses(host: netns.Host) -> set[str]:
    """Every address/prefix in the host's namespace."""
    out = netns.sh(["ip", "-n", host.netns, "-o", "addr", "show"]).stdout
    return {line.split()[3] for line in out.splitlines()}


def remove_strays(host: netns.Host, baseline: set[str]) -> set[str]:
    """Delete addresses that were not there before; returns what had to be deleted."""
    strays = set()
    out = netns.sh(["ip", "-n", host.netns, "-o", "addr", "show"]).stdout
    for line in out.splitlines():
        _, nic, _, address = line.split()[:4]
        if address not in baseline:
            netns.sh(["ip", "-n", host.netns, "addr", "del", address, "dev", nic], check=False)
            strays.add(address)
    return strays


def kill_leftover_listeners(rsctmp: str | Path) -> list[int]:
    """Kill probe listeners a test's agent started and stop did not; returns their pids."""
    killed = []
    for status in Path(rsctmp).glob("*.listener"):
        try:
            pid = int(status.read_text().split()[0])
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if str(status).encode() in argv:   # really the listener of this status file
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    return killed


def free_port(host: netns.Host) -> int:
    script = "import socket; s = socket.socket(); s.bind(('', 0)); print(s.getsockname()[1])"
    return int(host.run(["/usr/bin/python3", "-c", script]).stdout)


@pytest.fixture(scope="module")
def node() -> Iterator[netns.Host]:
    """One lab host (eth0 with 10.77.0.1/24 and fd77::1/64) shared by the module's cases."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    with netns.Lan() as network:
        yield network.add_host("node1", 1)


@pytest.fixture(scope="module")
def baseline(node: netns.Host) -> set[str]:
    return addresses(node)


@pytest.fixture(scope="module")
def shared_rsctmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rsctmp")


@pytest.fixture(scope="module", autouse=True)
def _hypothesis_home_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the checkout clean: hypothesis caches Unicode tables in ./.hypothesis otherwise."""
    configuration.set_hypothesis_home_dir(str(tmp_path_factory.mktemp("hypothesis")))
    yield
    configuration.set_hypothesis_home_dir(None)


@pytest.fixture
def rsctmp(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "rsctmp"
    path.mkdir()
    yield path
    assert not kill_leftover_listeners(path), "a probe listener survived stop"


# The table --------------------------------------------------------------------------------------

def test_table_covers_every_declared_parameter() -> None:
    metadata = run_agent("floating-ip", "meta-data")
    declared = [p.get("name") for p in ET.fromstring(metadata.stdout).iter("parameter")]
    assert sorted(declared) == sorted(PARAMETERS)
    tried = {re.sub(r"-.*", "", param.id) for param in BAD_VALUES}
    assert tried == set(PARAMETERS)


@pytest.mark.parametrize("case", BAD_VALUES + COMBINATIONS)
def test_validate_rejects_bad_value(node: netns.Host, shared_rsctmp: Path,
                                    case: BadInput) -> None:
    assert_answer(agent(node, "validate-all", case.params, shared_rsctmp), case, "validate-all")
    assert not os.path.exists(TABLE_CANARY), "a parameter value reached a shell"


@pytest.mark.parametrize("case", BAD_VALUES + COMBINATIONS)
def test_start_fails_like_validate_and_stop_and_probe_tolerate_bad_value(
        node: netns.Host, baseline: set[str], rsctmp: Path, case: BadInput) -> None:
    try:
        start = agent(node, "start", case.params, rsctmp)
        added = addresses(node) - baseline
    finally:
        stop, probed = concurrently(lambda: agent(node, "stop", case.params, rsctmp),
                                    lambda: probe(node, case.params, rsctmp))
        strays = remove_strays(node, baseline)
    assert_answer(start, case, "start")
    assert not added, f"start with bad input added {added}"
    assert not strays, f"stop with bad input left {strays}"
    assert_clean(stop, "stop")
    assert stop.rc == OCF_SUCCESS, f"stop: rc {stop.rc}: {stop.exit_reason}"
    assert_clean(probed, "probe")
    assert probed.rc == OCF_NOT_RUNNING, f"probe: rc {probed.rc}: {probed.exit_reason}"
    assert not os.path.exists(TABLE_CANARY), "a parameter value reached a shell"


# Arbitrary text ---------------------------------------------------------------------------------

# (Debian 12 has hypothesis 6.67: blacklist_*, not yet exclude_*.)
ANY_CHARACTER = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
NEAR_VALID = "0123456789abcdefx.:/[]%_-+ \t\n;$()`'\"|&\\*"
WORDS = ("true", "false", "forever", "eth0", "lo", "/bin/true", "127.0.0.1:3306", "[::1]:22",
         "255.255.255.0", "10.77.0.50", "fd77::50", "65535", "0")
ANY_TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=30),                  # anything, control characters included
    st.text(st.sampled_from(NEAR_VALID), max_size=20),      # the characters that matter
    st.ip_addresses().map(str),
    st.integers(-(2**40), 2**40).map(str),
    st.tuples(st.text(ANY_CHARACTER, max_size=3), st.sampled_from(WORDS),
              st.text(ANY_CHARACTER, max_size=3)).map("".join),   # a valid word, disturbed
)
# Every example validates BATCH values at once: VALUES_PER_PARAMETER in all for each parameter.
BATCH = 4
VALUES_PER_PARAMETER = 60
HYPOTHESIS_BASE = {"ip": IP4, "port": PORT}   # every parameter is meaningful here


@pytest.mark.parametrize("name", PARAMETERS)
@settings(max_examples=VALUES_PER_PARAMETER // BATCH, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(ANY_TEXT, min_size=BATCH, max_size=BATCH))
def test_validate_answers_any_text_with_an_ocf_code(node: netns.Host, shared_rsctmp: Path,
                                                    name: str, values: list[str]) -> None:
    runs = [{**HYPOTHESIS_BASE, name: value} for value in values]
    results = concurrently(*(lambda params=params: agent(node, "validate-all", params,
                                                         shared_rsctmp) for params in runs))
    for value, result in zip(values, results):
        what = f"validate-all {name}={value!r}"
        assert_clean(result, what)
        assert result.rc in VALIDATE_CODES, f"{what}: rc {result.rc}: {result.exit_reason}"
        if result.rc != OCF_SUCCESS:
            assert result.exit_reason, f"{what}: rc {result.rc} without an exit reason"


# Nothing reaches a shell ------------------------------------------------------------------------

def shell_payload(canary: Path) -> str:
    """Runs `touch canary` in any shell, whether it pastes the value bare, in '…' or in "…"."""
    return (f"'\"$(touch {canary})\"'; touch {canary}; `touch {canary}` | touch {canary}"
            f" && touch {canary}\ntouch {canary} #")


@pytest.mark.parametrize("name", PARAMETERS)
def test_no_parameter_reaches_a_shell(node: netns.Host, baseline: set[str], tmp_path: Path,
                                      name: str) -> None:
    canary = tmp_path / "canary"
    payload = shell_payload(canary)
    # The bare payload, and one led by a real program so health_command gets past validation.
    for number, value in enumerate((payload, f"/bin/echo {payload}")):
        params = {**WITH_IP4, **WITH_PORT, name: value}
        rsctmp = tmp_path / f"rsctmp{number}"
        rsctmp.mkdir()
        results: dict[str, AgentResult] = {}
        try:
            results["validate-all"], results["start"] = concurrently(
                lambda params=params, rsctmp=rsctmp: agent(node, "validate-all", params, rsctmp),
                lambda params=params, rsctmp=rsctmp: agent(node, "start", params, rsctmp))
        finally:
            results["stop"] = agent(node, "stop", params, rsctmp)
            leftovers = kill_leftover_listeners(rsctmp)
            strays = remove_strays(node, baseline)
        assert not canary.exists(), f"{name}={value!r} reached a shell"
        for action, result in results.items():
            assert_clean(result, f"{action} {name}={value!r}")
        assert results["validate-all"].rc in VALIDATE_CODES
        assert results["start"].rc == results["validate-all"].rc, results["start"].exit_reason
        assert results["stop"].rc == OCF_SUCCESS, results["stop"].exit_reason
        assert not leftovers and not strays


def listener_status(rsctmp: Path) -> str:
    (status,) = rsctmp.glob("*.listener")
    return status.read_text()


def test_health_command_runs_by_argv_never_by_a_shell(lan: netns.Lan, tmp_path: Path) -> None:
    host = lan.hosts[0]
    canary = tmp_path / "canary"
    rsctmp = tmp_path / "rsctmp"
    rsctmp.mkdir()
    command = (f"/bin/echo $(touch {canary}) ; touch {canary} `touch {canary}` "
               f"| touch {canary} && touch {canary}")
    params = {"port": str(free_port(host)), "health_command": command}
    try:
        start = agent(host, "start", params, rsctmp)
        assert start.rc == OCF_SUCCESS, start.exit_reason
        # Start waits for the listener's first report, which follows the first health check.
        assert "/bin/echo exited 0" in listener_status(rsctmp)
        monitor = agent(host, "monitor", params, rsctmp, meta={"interval": "10000"})
        assert monitor.rc == OCF_SUCCESS, monitor.exit_reason
        assert not canary.exists(), "health_command went through a shell"
    finally:
        stop = agent(host, "stop", params, rsctmp)
        leftovers = kill_leftover_listeners(rsctmp)
    assert stop.rc == OCF_SUCCESS and not leftovers


def test_health_command_words_reach_the_program_literally(lan: netns.Lan,
                                                          tmp_path: Path) -> None:
    """touch creates one file per word: a shell would have substituted, split or globbed them."""
    host = lan.hosts[0]
    witness = tmp_path / "witness"
    witness.mkdir()
    rsctmp = tmp_path / "rsctmp"
    rsctmp.mkdir()
    words = ["$(id)", "`id`", ";id", "|id", "&&id", "$HOME", "*", "a b", "line\nbreak"]
    command = "/usr/bin/touch " + " ".join(shlex.quote(f"{witness}/{word}") for word in words)
    params = {"port": str(free_port(host)), "health_command": command}
    try:
        start = agent(host, "start", params, rsctmp)
        assert start.rc == OCF_SUCCESS, start.exit_reason
        assert "/usr/bin/touch exited 0" in listener_status(rsctmp)
        assert sorted(os.listdir(witness)) == sorted(words)
    finally:
        stop = agent(host, "stop", params, rsctmp)
        leftovers = kill_leftover_listeners(rsctmp)
    assert stop.rc == OCF_SUCCESS and not leftovers
