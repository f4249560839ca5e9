"""ocf-tester (resource-agents' own compliance test) passes for every floating-ip mode."""

from __future__ import annotations

import os

import pytest

from tests.floating_ip.conftest import VIP4, VIP6

pytestmark = [pytest.mark.netns, pytest.mark.check]

PROMOTABLE = ["CRM_meta_clone_max=2", "CRM_meta_clone_node_max=1", "CRM_meta_promoted_max=1",
              "CRM_meta_promoted_node_max=1", "CRM_meta_notify=true"]

MODES = {
    "ipv4": [f"ip={VIP4}"],
    "ipv6": [f"ip={VIP6}"],
    "probe": ["port=61000"],
    "probe-with-health": ["port=61000", "health_command=/bin/true"],
    "ipv4-and-probe": [f"ip={VIP4}", "port=61000"],
    "promotable": [f"ip={VIP4}", *PROMOTABLE],
}


@pytest.mark.parametrize("mode", list(MODES))
def test_ocf_tester_passes(nodes, installed: str, mode: str) -> None:
    node1, _, _ = nodes
    agent = os.path.join(installed, "usr/lib/ocf/resource.d/pyha/floating-ip")
    options = [arg for option in MODES[mode] for arg in ("-o", option)]
    done = node1.host.run(["ocf-tester", "-n", f"vip-{mode}", *options,
                           agent], check=False,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HA_RSCTMP": node1.rsctmp})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed all tests" in done.stdout
    if mode == "promotable":
        assert "does not support promotable" not in done.stdout
    else:
        assert "does not support promotable clones (optional)" in done.stdout
    assert not node1.has_address(VIP4) and not node1.has_address(VIP6)
