"""The library's doors to the system: commands, processes, logging to syslog, netlink."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from ocf_lib import netlink, processes
from ocf_lib.codes import OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCFError
from ocf_lib.commands import run_command
from ocf_lib.deadline import Deadline
from ocf_lib.log import Logger
from tests.lab import netns

pytestmark = pytest.mark.unit


def quiet_log() -> Logger:
    return Logger("test", "r", {"HA_LOGFILE": "/dev/null"})


def test_command_arguments_are_never_interpreted_by_a_shell(tmp_path) -> None:
    canary = tmp_path / "canary"
    result = run_command(["echo", f"$(touch {canary}); `touch {canary}`"], Deadline(5),
                         quiet_log())
    assert result.ok and "$(touch" in result.stdout and not canary.exists()


def test_command_is_killed_at_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(OCFError) as raised:
        run_command(["sleep", "30"], Deadline(1.0, margin_s=0.2), quiet_log())
    assert raised.value.code == OCF_ERR_GENERIC and "did not finish" in raised.value.reason
    assert time.monotonic() - started < 1.5


def test_missing_program_is_not_installed() -> None:
    with pytest.raises(OCFError) as raised:
        run_command(["/nonexistent/tool"], Deadline(5), quiet_log())
    assert raised.value.code == OCF_ERR_INSTALLED


def test_failed_command_with_check_reports_its_last_line() -> None:
    with pytest.raises(OCFError) as raised:
        run_command(["sh", "-c", "echo first >&2; echo last words >&2; exit 3"], Deadline(5),
                    quiet_log(), check=True)
    assert raised.value.reason == "sh exited 3: last words"


def test_zombie_counts_as_dead() -> None:
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 5
    while processes.process_state(child.pid) != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert processes.process_state(child.pid) == "Z"
    assert not processes.is_alive(child.pid)
    child.wait()
    assert processes.process_state(child.pid) is None


def test_terminate_escalates_to_kill_within_the_deadline() -> None:
    stubborn = subprocess.Popen([sys.executable, "-c",
                                 "import signal, time; signal.signal(signal.SIGTERM, "
                                 "signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"],
                                stdout=subprocess.PIPE, text=True)
    assert stubborn.stdout.readline().strip() == "ready"
    started = time.monotonic()
    assert processes.terminate(stubborn.pid, Deadline(3, margin_s=0), grace=0.5)
    assert 0.4 < time.monotonic() - started < 1.5
    assert stubborn.wait() == -signal.SIGKILL


def test_cmdline_reads_proc() -> None:
    assert processes.cmdline(os.getpid())[0].endswith(("python3", "python3.11", "pytest"))


def test_debug_lines_only_with_ha_debug(tmp_path) -> None:
    logfile, debuglog = tmp_path / "ha.log", tmp_path / "debug.log"
    environ = {"HA_LOGFILE": str(logfile), "HA_DEBUGLOG": str(debuglog)}
    Logger("a", "r", environ).debug("hidden")
    Logger("a", "r", {**environ, "HA_debug": "1"}).debug("shown")
    Logger("a", "r", environ).warning("two\nlines")
    assert not logfile.read_text().count("hidden")
    assert "DEBUG: shown" in debuglog.read_text()
    assert [line.split("WARNING: ")[1] for line in logfile.read_text().splitlines()] == [
        "two", "lines"]


@pytest.mark.skipif(os.geteuid() != 0, reason="binding /dev/log in a mount namespace needs root")
def test_syslog_gets_info_lines_with_the_resource_tag(tmp_path) -> None:
    """Run a logger in a private mount namespace whose /dev/log is our datagram socket (an
    overlay on /dev, so the host's /dev is never touched)."""
    sock_path = str(tmp_path / "log.sock")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(sock_path)
    receiver.settimeout(5)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from ocf_lib.log import Logger; "
            "Logger('floating-ip', 'vip', {'HA_LOGFACILITY': 'daemon'}).info('hello syslog')")
    (tmp_path / "upper").mkdir()
    (tmp_path / "work").mkdir()
    script = ('mount -t overlay pyha-dev -o "lowerdir=/dev,upperdir=$1/upper,workdir=$1/work" '
              '/dev && ln -sf "$1/log.sock" /dev/log && shift && exec "$@"')
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                           "sh", str(tmp_path), sys.executable, "-c", code, root],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    message = receiver.recv(4096).decode()
    receiver.close()
    assert message.startswith("<30>")  # facility daemon (3) * 8 + info (6)
    assert "floating-ip(vip)[" in message and "INFO: hello syslog" in message


@pytest.fixture
def host():
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    with netns.Lan() as lan:
        yield lan.add_host("nl", 5)


def in_host(host: netns.Host, code: str) -> str:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    prelude = f"import sys; sys.path.insert(0, {root!r}); from ocf_lib import netlink; "
    return host.run([sys.executable, "-c", prelude + code]).stdout.strip()


def test_netlink_reads_links_addresses_and_routes(host) -> None:
    host.run(["ip", "addr", "add", "10.77.0.200/24", "dev", "eth0", "label", "eth0:vip"])
    out = in_host(host, "\n".join([
        "link = netlink.link_by_name('eth0')",
        "print(link.name, link.admin_up, link.carrier, len(link.mac))",
        "print(sorted((str(a.address), a.prefixlen, a.label) for a in netlink.addresses(2)))",
        "print(sorted(str(r.network) for r in netlink.routes(2) if r.table == 254))",
        "print(netlink.link_by_name('nope'))",
    ]))
    lines = out.splitlines()
    assert lines[0] == "eth0 True True 6"
    assert "('10.77.0.200', 24, 'eth0:vip')" in lines[1] and "('127.0.0.1', 8, 'lo')" in lines[1]
    assert lines[2] == "['10.77.0.0/24']"
    assert lines[3] == "None"


def test_netlink_sees_ipv6_address_settle_after_dad(host) -> None:
    host.run(["ip", "addr", "add", "fd77::77/64", "dev", "eth0"])
    out = in_host(host, "import time; time.sleep(0.3); "
                        "print([(a.tentative, a.dad_failed) for a in netlink.addresses(10) "
                        "if str(a.address) == 'fd77::77'])")
    assert out == "[(False, False)]"


def test_netlink_error_is_raised_not_swallowed() -> None:
    error = (16 + 4).to_bytes(4, "little") + (2).to_bytes(2, "little") + bytes(10) + \
        (-19).to_bytes(4, "little", signed=True)
    with pytest.raises(netlink.NetlinkError):
        list(netlink.messages(error))


def test_address_flags_come_from_ifa_flags_when_present() -> None:
    import struct

    def attribute(kind: int, data: bytes) -> bytes:
        padded = data + bytes((4 - len(data) % 4) % 4)
        return struct.pack("=HH", 4 + len(data), kind) + padded

    address = socket.inet_pton(socket.AF_INET6, "fd77::77")
    payload = (struct.pack("=BBBBI", socket.AF_INET6, 64, 0, 0, 3)
               + attribute(netlink.IFA_ADDRESS, address)
               + attribute(netlink.IFA_FLAGS, struct.pack("=I", netlink.IFA_F_DADFAILED
                                                          | netlink.IFA_F_TENTATIVE)))
    parsed = netlink.parse_address(payload)
    assert (str(parsed.address), parsed.prefixlen, parsed.index) == ("fd77::77", 64, 3)
    assert parsed.dad_failed and parsed.tentative
