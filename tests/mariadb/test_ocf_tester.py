"""ocf-tester (resource-agents' compliance test) passes in both modes, on a real server.

ocf-tester cannot play a promotable clone's cluster: it passes the clone meta attributes we
give it, runs promote/demote sequences and notify without notification variables, and has no
cluster for crm_attribute (the agent logs that and carries on)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.mariadb.conftest import Resource

pytestmark = [pytest.mark.host, pytest.mark.check]

PROMOTABLE = ["CRM_meta_clone_max=2", "CRM_meta_clone_node_max=1", "CRM_meta_promoted_max=1",
              "CRM_meta_promoted_node_max=1", "CRM_meta_notify=true",
              "replication_user=repl"]


@pytest.mark.parametrize("mode", ["single", "promotable"])
def test_ocf_tester_passes(database: Resource, installed: str, mode: str) -> None:
    agent = os.path.join(installed, "usr/lib/ocf/resource.d/pyha/mariadb")
    options = [f"{key}={value}" for key, value in database.params.items()]
    if mode == "promotable":
        options += PROMOTABLE
    argv = ["ocf-tester", "-n", f"db-{mode}", *(arg for o in options for arg in ("-o", o)),
            agent]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                               "HA_RSCTMP": database.rsctmp})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed all tests" in done.stdout, done.stdout
    if mode == "promotable":
        assert "does not support promotable" not in done.stdout
    else:   # promote and demote answer OCF_ERR_UNIMPLEMENTED outside a promotable clone
        assert "does not support promotable clones (optional)" in done.stdout
    assert not database.db.running()
