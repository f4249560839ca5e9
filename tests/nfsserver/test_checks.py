"""The installed nfsserver as admins meet it: bad input, ocf-tester, pcs."""

from __future__ import annotations

import os

import pytest

from ocf_lib.codes import OCF_ERR_CONFIGURED, OCF_SUCCESS
from tests.lab.agents import run_agent

GOOD = {"exports": "/srv/nfs/data 192.168.1.0/24(rw,sync,no_root_squash)"}

BAD_INPUT = [
    ({"exports": ""}, OCF_ERR_CONFIGURED, "required parameter exports is not set"),
    ({"exports": "srv/nfs *(rw)"}, OCF_ERR_CONFIGURED, "is not an absolute directory path"),
    ({"exports": "/srv/nfs"}, OCF_ERR_CONFIGURED, "names no client"),
    ({"exports": "/srv/nfs *"}, OCF_ERR_CONFIGURED, "needs its options in parentheses"),
    ({"exports": "/srv/nfs *()"}, OCF_ERR_CONFIGURED, "has empty options"),
    ({"exports": "/srv/nfs *(rw,fsid=7)"}, OCF_ERR_CONFIGURED, "fsid is set by the agent"),
    ({"exports": "/srv/nfs *(rw,frobnicate)"}, OCF_ERR_CONFIGURED, "unknown export option"),
    ({"exports": "/srv/nfs *(rw,ro)"}, OCF_ERR_CONFIGURED, "rw and ro together"),
    ({"exports": "/srv/nfs *(anonuid=bob)"}, OCF_ERR_CONFIGURED, "anonuid needs a numeric id"),
    ({"exports": "/srv/nfs *(sec=none)"}, OCF_ERR_CONFIGURED, "sec= takes"),
    ({"exports": "/srv/nfs $(touch /tmp/pyha-nfs-canary)(rw)"}, OCF_ERR_CONFIGURED,
     "is not a host, network, wildcard or @netgroup"),
    ({"exports": "/srv/nfs *(rw); /srv/nfs a(ro)"}, OCF_ERR_CONFIGURED, "exported twice"),
    ({"exports": "/srv/nfs *(rw) *(ro)"}, OCF_ERR_CONFIGURED, "names a client twice"),
    ({"exports": "/srv/../etc *(rw)"}, OCF_ERR_CONFIGURED, "must not contain . or .."),
    ({"backend": "knfsd"}, OCF_ERR_CONFIGURED, "must be one of kernel, ganesha"),
    ({"grace_time": "5"}, OCF_ERR_CONFIGURED, "must be between 10 and 3600"),
    ({"lease_time": "ten"}, OCF_ERR_CONFIGURED, "not an integer"),
    ({"threads": "0"}, OCF_ERR_CONFIGURED, "must be between 1 and 1024"),
    ({"nfsv4_only": "maybe"}, OCF_ERR_CONFIGURED, "is not a boolean"),
    ({"nfs_ip": "10.0.0.1 10.0.0.300"}, OCF_ERR_CONFIGURED, "'10.0.0.300' is not an IP"),
    ({"nfs_server_scope": "my vip"}, OCF_ERR_CONFIGURED, "printable ASCII characters"),
    ({"nfs_shared_infodir": "/srv/nfs/info"}, OCF_ERR_CONFIGURED, "needs shared_mountpoint"),
    ({"nfs_shared_infodir": "/var/nfsinfo", "shared_mountpoint": "/srv/nfs"},
     OCF_ERR_CONFIGURED, "nfs_shared_infodir /var/nfsinfo is not under shared_mountpoint"),
    ({"shared_mountpoint": "/srv/other"}, OCF_ERR_CONFIGURED,
     "export /srv/nfs/data is not under shared_mountpoint"),
    ({"backend": "ganesha", "grace_time": "600"}, OCF_ERR_CONFIGURED, "allows at most 180"),
    ({"backend": "ganesha", "exports": "/srv/nfs *(rw,crossmnt)"}, OCF_ERR_CONFIGURED,
     "not supported by backend=ganesha: /srv/nfs *: crossmnt"),
]


@pytest.mark.unit
@pytest.mark.parametrize("overrides,code,reason", BAD_INPUT,
                         ids=[f"{i}" for i in range(len(BAD_INPUT))])
def test_bad_input_gets_its_code_and_reason(overrides, code, reason, rsctmp) -> None:
    for action in ("validate-all", "start", "monitor"):
        done = run_agent("nfsserver", action, params={**GOOD, **overrides},
                         meta={"interval": "10000"}, extra_env={"HA_RSCTMP": rsctmp})
        assert done.rc == code, (action, done.stderr)
        assert reason in (done.exit_reason or ""), done.stderr
        assert "Traceback" not in done.stderr
    assert not os.path.exists("/tmp/pyha-nfs-canary")


@pytest.mark.unit
def test_stop_and_probe_succeed_with_a_broken_configuration(rsctmp) -> None:
    for action, meta, code in (("stop", {}, OCF_SUCCESS), ("monitor", {"interval": "0"}, 7)):
        done = run_agent("nfsserver", action, params={"exports": "garbage"}, meta=meta,
                         extra_env={"HA_RSCTMP": rsctmp})
        assert done.rc == code, done.stderr


@pytest.mark.check
@pytest.mark.netns
def test_ocf_tester_passes_for_ganesha(lab, installed: str) -> None:
    node, _ = lab
    node.run(["mkdir", "-p", f"{node.shared}/t"], check=True)
    agent = os.path.join(installed, "usr/lib/ocf/resource.d/pyha/nfsserver")
    options = {"backend": "ganesha", "exports": f"{node.shared}/t *(rw)",
               "shared_mountpoint": node.shared, "nfs_shared_infodir": f"{node.shared}/info",
               "nfsv4_only": "true"}
    argv = ["ocf-tester", "-n", "nfs-tester",
            *(arg for k, v in options.items() for arg in ("-o", f"{k}={v}")), agent]
    done = node.run(argv, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                               "HA_RSCTMP": "/run/resource-agents"}, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed all tests" in done.stdout
    assert not node.pids("ganesha.nfsd") and not node.mounted("/var/lib/nfs")


@pytest.mark.check
def test_pcs_creates_the_resource_and_the_cib_verifies(offline_cib) -> None:
    offline_cib.pcs(
        "resource", "create", "nfs", "ocf:pyha:nfsserver",
        "exports=/srv/nfs/data 192.168.1.0/24(rw,sync)", "nfs_shared_infodir=/srv/nfs/info",
        "shared_mountpoint=/srv/nfs", "nfs_ip=192.168.1.100", "nfs_server_scope=192.168.1.100",
        "grace_time=20", "lease_time=15")
    text = offline_cib.verify()
    assert 'type="nfsserver"' in text and 'name="monitor" interval="10s"' in text


