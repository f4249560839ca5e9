"""Seed 001's pcs lines work with the provider changed to pyha (pcs 0.11 spelling)."""

from __future__ import annotations

import subprocess

import pytest

from tests.lab.install import run_installed

pytestmark = [pytest.mark.check]

SEED_001 = [
    ["resource", "create", "drbd_ha", "ocf:pyha:drbd", "drbd_resource=mysqlr0",
     "op", "monitor", "interval=60s"],
    ["resource", "promotable", "drbd_ha", "promoted-max=1", "promoted-node-max=1",
     "clone-max=2", "clone-node-max=1", "notify=true"],
    ["resource", "create", "drbd_fs", "Filesystem", "device=/dev/drbd1",
     "directory=/var/lib/mysql", "fstype=ext3"],
    ["constraint", "colocation", "add", "drbd_fs", "with", "Promoted", "drbd_ha-clone",
     "INFINITY"],
    ["constraint", "order", "promote", "drbd_ha-clone", "then", "start", "drbd_fs"],
]


@pytest.fixture
def cib(tmp_path) -> str:
    path = str(tmp_path / "cib.xml")
    with open(path, "w") as cib_file:
        subprocess.run(["cibadmin", "--empty"], stdout=cib_file, check=True)
    return path


def test_seed_001_drbd_lines_build_a_valid_cib(installed: str, cib: str) -> None:
    for args in SEED_001:
        done = run_installed(installed, ["pcs", "-f", cib, *args])
        assert done.returncode == 0, f"pcs {' '.join(args)}: {done.stderr}"
    run_installed(installed, ["pcs", "-f", cib, "property", "set", "stonith-enabled=false"])
    verified = run_installed(installed, ["crm_verify", "-V", "-x", cib])
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with open(cib) as cib_file:
        text = cib_file.read()
    assert 'type="drbd"' in text and 'provider="pyha"' in text and 'role="Promoted"' in text


def test_pcs_offers_the_mount_parameters(installed: str) -> None:
    described = run_installed(installed, ["pcs", "resource", "describe", "ocf:pyha:drbd"])
    assert described.returncode == 0, described.stderr
    for name in ("drbd_resource", "adjust_master_score", "directory", "fstype", "fsck"):
        assert name in described.stdout
