"""pcs offers the drbd agent's parameters. Seed 001's pcs lines with the provider changed to pyha
are the `drop-in` CIB of doc/recipes/mariadb-on-drbd-azure.md, run by
tests/packaging/test_recipes.py."""

from __future__ import annotations

import pytest

from tests.lab.install import run_installed

pytestmark = [pytest.mark.check]


def test_pcs_offers_the_mount_parameters(installed: str) -> None:
    described = run_installed(installed, ["pcs", "resource", "describe", "ocf:pyha:drbd"])
    assert described.returncode == 0, described.stderr
    for name in ("drbd_resource", "adjust_master_score", "directory", "fstype", "fsck"):
        assert name in described.stdout
