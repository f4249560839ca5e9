"""The installed agent as admins meet it: pcs creates both modes (the seed-004 stack on DRBD,
and the promotable clone with its floating IP), crm_verify accepts them, crm_resource validates."""

from __future__ import annotations

import subprocess

import pytest

from tests.lab.install import run_installed

pytestmark = [pytest.mark.check]


def test_seed_004_stack_on_drbd(offline_cib) -> None:
    """drbd (promotable) + its filesystem mounted on promote, then moosefs-master on it, then
    the floating address the chunkservers, metaloggers and clients use."""
    offline_cib.pcs("resource", "create", "mfsdata", "ocf:pyha:drbd", "drbd_resource=r0",
                    "directory=/var/lib/mfs", "fstype=ext4", "promotable", "notify=true")
    offline_cib.pcs("resource", "create", "mfsmaster", "ocf:pyha:moosefs-master",
                    "data_mount=/var/lib/mfs", "--group", "mfs")
    offline_cib.pcs("resource", "create", "mfsvip", "ocf:pyha:floating-ip",
                    "ip=192.168.8.210", "cidr_netmask=24", "--group", "mfs")
    offline_cib.pcs("constraint", "colocation", "add", "mfs", "with", "Promoted",
                    "mfsdata-clone", "INFINITY")
    offline_cib.pcs("constraint", "order", "promote", "mfsdata-clone", "then", "start", "mfs")
    text = offline_cib.verify()
    assert 'type="moosefs-master"' in text and 'name="data_mount" value="/var/lib/mfs"' in text
    assert 'name="monitor" interval="10s"' in text


def test_promotable_clone_with_its_floating_ip(offline_cib) -> None:
    offline_cib.pcs("resource", "create", "mfs", "ocf:pyha:moosefs-master",
                    "master_host=192.168.8.210", "promotable", "notify=true")
    offline_cib.pcs("resource", "create", "mfsvip", "ocf:pyha:floating-ip",
                    "ip=192.168.8.210", "cidr_netmask=24")
    offline_cib.pcs("constraint", "colocation", "add", "mfsvip", "with", "Promoted",
                    "mfs-clone", "INFINITY")
    text = offline_cib.verify()
    assert 'role="Promoted"' in text and 'interval="9s"' in text and 'interval="11s"' in text


def test_pcs_refuses_an_unknown_option(offline_cib) -> None:
    created = offline_cib.pcs("resource", "create", "m", "ocf:pyha:moosefs-master",
                              "datapath=/x", check=False)
    assert created.returncode != 0 and "datapath" in created.stderr


def test_crm_resource_validate(installed) -> None:
    def validate(*options: str) -> subprocess.CompletedProcess:
        argv = ["crm_resource", "--validate", "--class", "ocf", "--provider", "pyha",
                "--agent", "moosefs-master"]
        return run_installed(installed, [*argv, *[a for o in options for a in ("--option", o)]])

    bad = validate("config=relative.cfg")
    assert bad.returncode == 6
    assert "config='relative.cfg': must be an absolute path" in bad.stdout + bad.stderr
    missing = validate("config=/nonexistent/mfsmaster.cfg")
    assert missing.returncode == 5 and "does not exist" in missing.stdout + missing.stderr
