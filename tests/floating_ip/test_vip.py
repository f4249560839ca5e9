"""floating-ip carrying a real address in network namespaces: start, stop, monitor, moves."""

from __future__ import annotations

import time

import pytest

from tests.conftest import report_figure
from tests.floating_ip.conftest import VIP4, VIP6
from tests.lab.outage import Pinger

pytestmark = pytest.mark.netns

MONITOR = {"interval": "10000", "timeout": "20000"}


def test_start_monitor_stop_are_idempotent(nodes) -> None:
    node1, _, _ = nodes
    params = {"ip": VIP4}
    assert node1.agent("monitor", params, MONITOR).rc == 7
    assert node1.agent("stop", params).rc == 0
    for _ in range(2):
        assert node1.agent("start", params).rc == 0
        assert node1.agent("monitor", params, MONITOR).rc == 0
        assert node1.agent("monitor", params).rc == 0  # probe
    assert node1.has_address(VIP4)
    assert " 10.77.0.100/24 " in node1.host.addresses()  # prefix found from the route
    for _ in range(2):
        assert node1.agent("stop", params).rc == 0
        assert node1.agent("monitor", params, MONITOR).rc == 7
    assert not node1.has_address(VIP4)


def test_explicit_nic_netmask_and_label(nodes) -> None:
    node1, _, _ = nodes
    params = {"ip": VIP4, "nic": "eth0", "cidr_netmask": "255.255.255.128", "iflabel": "svc"}
    assert node1.agent("start", params).rc == 0
    line = next(x for x in node1.host.addresses().splitlines() if VIP4 in x)
    assert "10.77.0.100/25" in line and "eth0:svc" in line
    assert node1.agent("stop", params).rc == 0


def move_and_measure(node_from, node_to, client, params: dict, target: str) -> float:
    assert node_from.agent("start", params).rc == 0
    with Pinger(client, target) as pinger:
        pinger.wait_for_replies()
        moved_at = time.time()
        assert node_from.agent("stop", params).rc == 0
        assert node_to.agent("start", params).rc == 0
        time.sleep(0.5)
    assert node_to.has_address(target) and not node_from.has_address(target)
    assert node_to.agent("stop", params).rc == 0
    return pinger.longest_gap(after=moved_at)


@pytest.mark.parametrize("vip,how", [(VIP4, "stop + start + gratuitous ARP"),
                                     (VIP6, "stop + start with DAD + unsolicited NA")],
                         ids=["ipv4", "ipv6"])
def test_client_follows_a_move_within_a_second(nodes, vip: str, how: str) -> None:
    node1, node2, client = nodes
    outage = move_and_measure(node1, node2, client, {"ip": vip}, vip)
    report_figure(f"floating-ip {vip} move node1->node2: client outage {outage * 1000:.0f} ms "
                  f"({how})")
    assert outage < 1.0


def test_ipv6_duplicate_is_refused_by_dad(nodes) -> None:
    node1, node2, _ = nodes
    node2.host.run(["ip", "addr", "add", f"{VIP6}/64", "dev", "eth0", "nodad"])
    result = node1.agent("start", {"ip": VIP6})
    assert result.rc == 1
    assert "duplicate address detection failed" in result.exit_reason
    assert not node1.has_address(VIP6)  # never left behind, not even as dadfailed


def test_ipv4_address_in_use_is_refused_with_run_arping(nodes) -> None:
    node1, node2, _ = nodes
    node2.host.run(["ip", "addr", "add", f"{VIP4}/24", "dev", "eth0"])
    result = node1.agent("start", {"ip": VIP4, "run_arping": "true"})
    assert result.rc == 1 and "already in use by" in result.exit_reason
    assert not node1.has_address(VIP4)


def test_monitor_notices_the_address_gone(nodes) -> None:
    node1, _, _ = nodes
    assert node1.agent("start", {"ip": VIP4}).rc == 0
    node1.host.run(["ip", "addr", "del", f"{VIP4}/24", "dev", "eth0"])
    result = node1.agent("monitor", {"ip": VIP4}, MONITOR)
    assert result.rc == 7 and "not configured on this node" in result.exit_reason


def test_monitor_notices_the_link_down(lan, nodes) -> None:
    node1, _, _ = nodes
    assert node1.agent("start", {"ip": VIP4}).rc == 0
    lan.cut(node1.host)
    result = node1.agent("monitor", {"ip": VIP4}, MONITOR)
    assert result.rc == 1 and "no carrier" in result.exit_reason
    node1.host.set_link(False)
    result = node1.agent("monitor", {"ip": VIP4}, MONITOR)
    assert result.rc == 1 and "administratively down" in result.exit_reason
    assert node1.agent("stop", {"ip": VIP4}).rc == 0


def test_start_refuses_a_link_without_carrier(lan, nodes) -> None:
    node1, _, _ = nodes
    lan.cut(node1.host)
    result = node1.agent("start", {"ip": VIP4})
    assert result.rc == 1 and "no carrier" in result.exit_reason
    assert not node1.has_address(VIP4)


def test_validate_all_reports_a_missing_interface_for_this_node(nodes) -> None:
    node1, _, _ = nodes
    result = node1.agent("validate-all", {"ip": VIP4, "nic": "eth9"})
    assert result.rc == 2 and "eth9 does not exist" in result.exit_reason
    result = node1.agent("validate-all", {"ip": "192.0.2.10"})
    assert result.rc == 2 and "no interface on this node" in result.exit_reason


def test_the_nodes_own_address_is_never_taken_or_removed(nodes) -> None:
    node1, _, _ = nodes
    own = {"ip": node1.host.address}
    for action in ("validate-all", "start"):
        result = node1.agent(action, own)
        assert result.rc == 2 and "this node's own address" in result.exit_reason
    assert node1.agent("stop", own).rc == 0
    assert node1.has_address(node1.host.address)
