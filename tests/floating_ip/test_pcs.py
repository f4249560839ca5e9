"""The installed agent as admins meet it: pcs, crm_resource and crm_verify."""

from __future__ import annotations

import os

import pytest

from tests.lab.agents import AGENTS_DIR
from tests.lab.install import run_installed

pytestmark = [pytest.mark.check]


def test_make_install_puts_only_agents_in_the_provider_directory(installed) -> None:
    provider = os.path.join(installed, "usr/lib/ocf/resource.d/pyha")
    entries = sorted(os.listdir(provider))
    assert entries == sorted(os.listdir(AGENTS_DIR))
    for entry in entries:
        assert os.stat(os.path.join(provider, entry)).st_mode & 0o777 == 0o755
    assert os.path.isfile(os.path.join(installed, "usr/lib/ocf/lib/pyha/ocf_lib/agent.py"))


def test_crm_resource_lists_and_describes_the_agent(installed) -> None:
    listed = run_installed(installed, ["crm_resource", "--list-agents", "ocf:pyha"])
    assert listed.stdout.split() == sorted(os.listdir(AGENTS_DIR))
    described = run_installed(installed, ["pcs", "resource", "describe", "ocf:pyha:floating-ip"])
    assert described.returncode == 0, described.stderr
    assert "cidr_netmask" in described.stdout and "health_command" in described.stdout


@pytest.mark.parametrize("options", [
    ["ip=10.0.0.100", "cidr_netmask=24"],
    ["port=61000", "health_tcp=127.0.0.1:3306"],
    ["ip=10.0.0.100", "port=61000", "promotable", "notify=true"],
], ids=["vip", "probe", "promotable"])
def test_pcs_creates_the_resource_and_the_cib_verifies(offline_cib, options) -> None:
    offline_cib.pcs("resource", "create", "vip", "ocf:pyha:floating-ip", *options)
    text = offline_cib.verify()
    assert 'provider="pyha"' in text and 'type="floating-ip"' in text
    assert 'name="monitor" interval="10s"' in text or 'interval="9s"' in text


def test_pcs_refuses_an_unknown_option(offline_cib) -> None:
    created = offline_cib.pcs("resource", "create", "vip", "ocf:pyha:floating-ip",
                              "ip=10.0.0.1", "colour=red", check=False)
    assert created.returncode != 0 and "colour" in created.stderr


def test_crm_resource_validate_runs_validate_all(installed) -> None:
    good = run_installed(installed, ["crm_resource", "--validate", "--class", "ocf",
                                     "--provider", "pyha", "--agent", "floating-ip",
                                     "--option", "ip=198.51.100.7", "--option", "nic=lo",
                                     "--option", "cidr_netmask=32"])
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_installed(installed, ["crm_resource", "--validate", "--class", "ocf",
                                    "--provider", "pyha", "--agent", "floating-ip",
                                    "--option", "ip=999.1.1.1"])
    assert bad.returncode == 6
    assert "ip='999.1.1.1': not an IPv4 or IPv6 address" in bad.stdout + bad.stderr
