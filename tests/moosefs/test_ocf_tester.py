"""ocf-tester (resource-agents' compliance test) passes in both modes, against real daemons."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.lab.moosefs import initialise_metadata

pytestmark = [pytest.mark.netns, pytest.mark.check]

PROMOTABLE = ["CRM_meta_clone_max=2", "CRM_meta_clone_node_max=1", "CRM_meta_promoted_max=1",
              "CRM_meta_promoted_node_max=1", "CRM_meta_notify=true"]


def ocf_tester(cell, installed: str, rsctmp: str,
               options: list[str]) -> subprocess.CompletedProcess:
    agent = os.path.join(installed, "usr/lib/ocf/resource.d/pyha/moosefs-master")
    argv = ["ocf-tester", "-n", "mfs", *[arg for option in options for arg in ("-o", option)],
            agent]
    return subprocess.run(["ip", "netns", "exec", cell.netns, *argv], capture_output=True,
                          text=True, timeout=300,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HA_RSCTMP": rsctmp})


def test_primitive_mode(cell, master, installed, rsctmp) -> None:
    options = [f"{key}={value}" for key, value in master.params.items()]
    done = ocf_tester(cell, installed, rsctmp, options)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed all tests" in done.stdout
    assert "does not support promotable clones (optional)" in done.stdout
    assert master.pid() is None


def test_promotable_mode(cell, installed, rsctmp) -> None:
    data = cell.path("data")
    initialise_metadata(cell, data)
    options = [f"config={cell.master_config('promotable', data)}",
               f"master_host={cell.address}", *PROMOTABLE]
    done = ocf_tester(cell, installed, rsctmp, options)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed all tests" in done.stdout
    assert "promotable" not in done.stdout   # neither "does not support" nor "partially"
    assert cell.run(["mfsmaster", "-c", cell.path("promotable.cfg"), "test"],
                    check=False).returncode == 1   # nothing left running
