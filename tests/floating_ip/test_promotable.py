"""floating-ip as a promotable clone: Unpromoted instances judge whether they could carry the
address, the Promoted one carries it. (Under Pacemaker:
tests/cluster/test_floating_ip_promotable.py.)"""

from __future__ import annotations

import pytest

from tests.floating_ip.conftest import VIP4, VIP6

pytestmark = pytest.mark.netns

PROMOTABLE = {"clone_max": "2", "clone_node_max": "1", "promoted_max": "1",
              "promoted_node_max": "1", "notify": "true", "timeout": "20000"}
UNPROMOTED_MONITOR = {**PROMOTABLE, "interval": "11000", "role": "Unpromoted"}
PROMOTED_MONITOR = {**PROMOTABLE, "interval": "9000", "role": "Promoted"}


def notify_meta(kind: str, operation: str, node: str, **extra: str) -> dict:
    return {**PROMOTABLE, "notify_type": kind, "notify_operation": operation,
            f"notify_{operation}_resource": "vip:1", f"notify_{operation}_uname": node,
            "on_node": extra.get("on_node", "node1")}


@pytest.mark.parametrize("vip", [VIP4, VIP6])
def test_start_leaves_unpromoted_and_promote_carries_the_address(nodes, vip: str) -> None:
    node1, node2, _ = nodes
    params = {"ip": vip}
    for node in (node1, node2):
        assert node.agent("monitor", params, {**PROMOTABLE, "interval": "0"}).rc == 7
        assert node.agent("start", params, PROMOTABLE).rc == 0
        assert node.agent("monitor", params, UNPROMOTED_MONITOR).rc == 0
        assert node.agent("monitor", params, {**PROMOTABLE, "interval": "0"}).rc == 0
        assert not node.has_address(vip)
    assert node1.agent("promote", params, PROMOTABLE).rc == 0
    assert node1.agent("promote", params, PROMOTABLE).rc == 0
    assert node1.has_address(vip)
    assert node1.agent("monitor", params, PROMOTED_MONITOR).rc == 8
    assert node1.agent("demote", params, PROMOTABLE).rc == 0
    assert node1.agent("demote", params, PROMOTABLE).rc == 0
    assert not node1.has_address(vip)
    assert node1.agent("monitor", params, UNPROMOTED_MONITOR).rc == 0
    for node in (node1, node2):
        assert node.agent("stop", params, PROMOTABLE).rc == 0
        assert node.agent("monitor", params, UNPROMOTED_MONITOR).rc == 7


def test_unpromoted_instance_without_carrier_reports_degraded(lan, nodes) -> None:
    node1, _, _ = nodes
    params = {"ip": VIP4}
    assert node1.agent("start", params, PROMOTABLE).rc == 0
    lan.cut(node1.host)
    result = node1.agent("monitor", params, UNPROMOTED_MONITOR)
    assert result.rc == 190 and "no carrier" in result.exit_reason
    lan.heal(node1.host)
    assert node1.agent("monitor", params, UNPROMOTED_MONITOR).rc == 0
    assert node1.agent("stop", params, PROMOTABLE).rc == 0


def test_promoted_instance_losing_its_link_is_a_failed_promoted(lan, nodes) -> None:
    node1, _, _ = nodes
    params = {"ip": VIP4}
    assert node1.agent("start", params, PROMOTABLE).rc == 0
    assert node1.agent("promote", params, PROMOTABLE).rc == 0
    lan.cut(node1.host)
    result = node1.agent("monitor", params, PROMOTED_MONITOR)
    assert result.rc == 9 and "no carrier" in result.exit_reason
    assert node1.agent("stop", params, PROMOTABLE).rc == 0
    assert not node1.has_address(VIP4)


def test_address_held_by_a_foreign_host_blocks_promotion(nodes) -> None:
    node1, _, client = nodes
    params = {"ip": VIP4}
    client.run(["ip", "addr", "add", f"{VIP4}/24", "dev", "eth0"])
    assert node1.agent("start", params, PROMOTABLE).rc == 0
    result = node1.agent("monitor", params, UNPROMOTED_MONITOR)
    assert result.rc == 190 and "not by a cluster node" in result.exit_reason
    result = node1.agent("promote", params, PROMOTABLE)
    assert result.rc == 1 and "already in use" in result.exit_reason
    assert not node1.has_address(VIP4)
    assert node1.agent("stop", params, PROMOTABLE).rc == 0


def test_notify_of_a_promotion_elsewhere_clears_a_stale_copy(nodes) -> None:
    node1, node2, _ = nodes
    params = {"ip": VIP4}
    assert node1.agent("start", params, PROMOTABLE).rc == 0
    node1.host.run(["ip", "addr", "add", f"{VIP4}/24", "dev", "eth0"])  # left over
    assert node1.agent("notify", params, notify_meta("post", "promote", "node2")).rc == 0
    assert not node1.has_address(VIP4)
    # node2 now answers for the address, as the Promoted instance should: not a foreign host.
    assert node2.agent("start", params, PROMOTABLE).rc == 0
    assert node2.agent("promote", params, PROMOTABLE).rc == 0
    assert node1.agent("monitor", params, UNPROMOTED_MONITOR).rc == 0
    assert node1.agent("notify", params, notify_meta("post", "demote", "node2")).rc == 0
    assert node1.agent("monitor", params, UNPROMOTED_MONITOR).rc == 190
    for node in (node1, node2):
        assert node.agent("stop", params, PROMOTABLE).rc == 0


def test_plain_primitive_does_not_implement_promote_or_demote(nodes) -> None:
    node1, _, _ = nodes
    for action in ("promote", "demote"):
        result = node1.agent(action, {"ip": VIP4})
        assert result.rc == 3 and "promotable clone" in result.exit_reason
    assert node1.agent("notify", {"ip": VIP4}).rc == 0
