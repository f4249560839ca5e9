"""floating-ip as a load-balancer probe listener: only the active node accepts probes."""

from __future__ import annotations

import glob
import subprocess
import textwrap
import time

import pytest

from tests.conftest import report_figure
from tests.floating_ip.conftest import VIP4, Node
from tests.lab.netns import Host

pytestmark = pytest.mark.netns

PORT = "61000"
MONITOR = {"interval": "10000", "timeout": "20000"}

CONNECT_SCRIPT = textwrap.dedent("""
    import socket, sys
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    opened, accepted = [], 0
    for _ in range(count):
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.settimeout(2)
        try:
            sock.connect((host, port))
            accepted += 1
        except OSError:
            pass
        opened.append(sock)
    print(accepted)
""")


def probes_accepted(client: Host, address: str, count: int = 1) -> int:
    """How many of `count` simultaneous TCP probes from the client complete their handshake."""
    done = client.run(["python3", "-c", CONNECT_SCRIPT, address, PORT, str(count)])
    return int(done.stdout)


def node_address(node: Node) -> str:
    return node.host.address


def test_only_the_active_node_accepts_probes(nodes) -> None:
    node1, node2, client = nodes
    params = {"port": PORT}
    assert node1.agent("monitor", params, MONITOR).rc == 7
    assert node1.agent("start", params).rc == 0
    assert node1.agent("monitor", params, MONITOR).rc == 0
    assert probes_accepted(client, node_address(node1)) == 1
    assert probes_accepted(client, node_address(node2)) == 0
    started = time.monotonic()
    assert node1.agent("stop", params).rc == 0
    assert node2.agent("start", params).rc == 0
    switch = time.monotonic() - started
    assert probes_accepted(client, node_address(node1)) == 0
    assert probes_accepted(client, node_address(node2)) == 1
    report_figure(f"floating-ip probe listener moved node1->node2 in {switch * 1000:.0f} ms "
                  f"(stop + start)")
    assert node2.agent("stop", params).rc == 0
    assert node2.agent("monitor", params, MONITOR).rc == 7


def test_many_probes_at_once_are_all_answered(nodes) -> None:
    node1, _, client = nodes
    assert node1.agent("start", {"port": PORT}).rc == 0
    assert probes_accepted(client, node_address(node1), count=500) == 500
    assert node1.agent("monitor", {"port": PORT}, MONITOR).rc == 0
    assert node1.agent("stop", {"port": PORT}).rc == 0


def test_listener_serves_ipv4_where_ipv6_is_disabled(nodes) -> None:
    node1, _, client = nodes
    node1.host.run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
    node1.host.run(["sysctl", "-qw", "net.ipv6.conf.lo.disable_ipv6=1"])
    assert node1.agent("start", {"port": PORT}).rc == 0
    assert probes_accepted(client, node_address(node1)) == 1
    assert node1.agent("monitor", {"port": PORT}, MONITOR).rc == 0
    assert node1.agent("stop", {"port": PORT}).rc == 0


def test_probe_listener_and_address_together(nodes) -> None:
    node1, _, client = nodes
    params = {"ip": VIP4, "port": PORT}
    assert node1.agent("start", params).rc == 0
    assert probes_accepted(client, VIP4) == 1
    assert node1.agent("stop", params).rc == 0
    assert not node1.has_address(VIP4)
    assert probes_accepted(client, node_address(node1)) == 0


def serve_tcp(host: Host, port: int) -> subprocess.Popen:
    script = ("import socket,time; s=socket.socket(); "
              "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
              f"s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(600)")
    return host.popen(["python3", "-c", script])


def wait_until(condition, timeout: float = 10.0) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError("condition not reached")
        time.sleep(0.05)
    return time.monotonic() - started


def test_probe_port_is_withheld_while_the_service_is_unhealthy(nodes) -> None:
    node1, _, client = nodes
    params = {"port": PORT, "health_tcp": "127.0.0.1:3306", "health_interval": "1"}
    assert node1.agent("start", params).rc == 0
    address = node_address(node1)
    assert probes_accepted(client, address) == 0
    result = node1.agent("monitor", params, MONITOR)
    assert result.rc == 190 and "127.0.0.1:3306 does not accept" in result.exit_reason
    service = serve_tcp(node1.host, 3306)
    try:
        opened = wait_until(lambda: probes_accepted(client, address) == 1)
        assert node1.agent("monitor", params, MONITOR).rc == 0
        service.kill()
        service.wait()
        closed = wait_until(lambda: probes_accepted(client, address) == 0)
        report_figure(f"floating-ip probe port follows service health: opened {opened:.1f} s, "
                      f"withheld {closed:.1f} s after the change (health_interval 1 s)")
    finally:
        service.kill()
        assert node1.agent("stop", params).rc == 0


def test_health_command_decides_like_health_tcp(nodes) -> None:
    node1, _, client = nodes
    for command, accepted, rc in (("/bin/true", 1, 0), ("/bin/false", 0, 190)):
        params = {"port": PORT, "health_command": command}
        assert node1.agent("start", params).rc == 0
        assert probes_accepted(client, node_address(node1)) == accepted
        assert node1.agent("monitor", params, MONITOR).rc == rc
        assert node1.agent("stop", params).rc == 0


def test_monitor_notices_a_killed_listener(nodes) -> None:
    node1, _, _ = nodes
    params = {"port": PORT}
    assert node1.agent("start", params).rc == 0
    (status_file,) = glob.glob(f"{node1.rsctmp}/*.listener")
    with open(status_file) as status:
        pid = status.read().split()[0]
    node1.host.run(["kill", "-9", pid])
    time.sleep(0.1)
    result = node1.agent("monitor", params, MONITOR)
    assert result.rc == 1 and "died" in result.exit_reason
    assert node1.agent("stop", params).rc == 0
    assert node1.agent("monitor", params, MONITOR).rc == 7


def test_start_fails_clearly_when_the_port_is_taken(nodes) -> None:
    node1, _, _ = nodes
    blocker = node1.host.popen(["python3", "-c",
                                "import socket,time; s=socket.socket(socket.AF_INET6); "
                                f"s.bind(('::', {PORT})); s.listen(); print('ready', flush=True);"
                                " time.sleep(600)"], stdout=subprocess.PIPE, text=True)
    try:
        assert blocker.stdout.readline().strip() == "ready"  # the port is taken from here on
        result = node1.agent("start", {"port": PORT})
        assert result.rc == 1 and "Address already in use" in result.exit_reason
        assert node1.agent("monitor", {"port": PORT}, MONITOR).rc == 7
    finally:
        blocker.kill()


def test_port_is_free_again_after_stop(nodes) -> None:
    node1, _, _ = nodes
    assert node1.agent("start", {"port": PORT}).rc == 0
    assert node1.agent("stop", {"port": PORT}).rc == 0
    check = f"import socket; s=socket.socket(socket.AF_INET6); s.bind(('::', {PORT}))"
    assert node1.host.run(["python3", "-c", check], check=False).returncode == 0
