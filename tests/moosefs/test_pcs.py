"""The installed agent as admins meet it: pcs creates both modes (the seed-004 stack on DRBD,
and the promotable clone with its floating IP), crm_verify accepts them, crm_resource validates."""

from __future__ import annotations

import subprocess

import pytest

from tests.lab.install import run_installed

pytestmark = [pytest.mark.check]


@pytest.fixture
def cib(tmp_path) -> str:
    path = str(tmp_path / "cib.xml")
    with open(path, "w") as cib_file:
        subprocess.run(["cibadmin", "--empty"], stdout=cib_file, check=True)
    return path


def pcs(installed: str, cib: str, *args: str) -> subprocess.CompletedProcess:
    done = run_installed(installed, ["pcs", "-f", cib, *args])
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def verify(installed: str, cib: str) -> str:
    pcs(installed, cib, "property", "set", "stonith-enabled=false")  # no fence device here
    verified = run_installed(installed, ["crm_verify", "-V", "-x", cib])
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with open(cib) as cib_file:
        return cib_file.read()


def test_seed_004_stack_on_drbd(installed, cib) -> None:
    """drbd (promotable) + its filesystem mounted on promote, then moosefs-master on it, then
    the floating address the chunkservers, metaloggers and clients use."""
    pcs(installed, cib, "resource", "create", "mfsdata", "ocf:pyha:drbd", "drbd_resource=r0",
        "directory=/var/lib/mfs", "fstype=ext4", "promotable", "notify=true")
    pcs(installed, cib, "resource", "create", "mfsmaster", "ocf:pyha:moosefs-master",
        "data_mount=/var/lib/mfs", "--group", "mfs")
    pcs(installed, cib, "resource", "create", "mfsvip", "ocf:pyha:floating-ip",
        "ip=192.168.8.210", "cidr_netmask=24", "--group", "mfs")
    pcs(installed, cib, "constraint", "colocation", "add", "mfs", "with", "Promoted",
        "mfsdata-clone", "INFINITY")
    pcs(installed, cib, "constraint", "order", "promote", "mfsdata-clone", "then", "start", "mfs")
    text = verify(installed, cib)
    assert 'type="moosefs-master"' in text and 'name="data_mount" value="/var/lib/mfs"' in text
    assert 'name="monitor" interval="10s"' in text


def test_promotable_clone_with_its_floating_ip(installed, cib) -> None:
    pcs(installed, cib, "resource", "create", "mfs", "ocf:pyha:moosefs-master",
        "master_host=192.168.8.210", "promotable", "notify=true")
    pcs(installed, cib, "resource", "create", "mfsvip", "ocf:pyha:floating-ip",
        "ip=192.168.8.210", "cidr_netmask=24")
    pcs(installed, cib, "constraint", "colocation", "add", "mfsvip", "with", "Promoted",
        "mfs-clone", "INFINITY")
    text = verify(installed, cib)
    assert 'role="Promoted"' in text and 'interval="9s"' in text and 'interval="11s"' in text


def test_pcs_refuses_an_unknown_option(installed, cib) -> None:
    created = run_installed(installed, ["pcs", "-f", cib, "resource", "create", "m",
                                        "ocf:pyha:moosefs-master", "datapath=/x"])
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
