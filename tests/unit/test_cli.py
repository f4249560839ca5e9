"""`pyha drbd-state`: the admin's "why is this node (not) promoted?" on saved outputs."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.lab.agents import ROOT
from tests.unit.test_drbd_state import DATA, read_sample

pytestmark = pytest.mark.unit

PYHA = os.path.join(ROOT, "bin", "pyha")


def saved(tmp_path, sample: str, command: str) -> str:
    stdout = read_sample(DATA / sample)[command][0]
    path = tmp_path / "saved.txt"
    path.write_text(stdout)
    return str(path)


def pyha(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYHA, *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("sample,command,fmt", [
    ("drbd84/04-connected-primary-secondary-uptodate-alpha.txt",
     "drbdsetup events2 --now r0", "events2"),
    ("drbd84/04-connected-primary-secondary-uptodate-alpha.txt", "drbdadm status r0", "status"),
    ("drbd84/04-connected-primary-secondary-uptodate-alpha.txt", "cat /proc/drbd", "proc"),
    ("drbd9/04-connected-primary-secondary-uptodate-alpha.txt",
     "drbdsetup status --json r0", "json"),
])
def test_every_format_explains_the_score_of_an_uptodate_primary(tmp_path, sample, command,
                                                                  fmt) -> None:
    done = pyha("drbd-state", "r0", "--from-file", saved(tmp_path, sample, command),
                "--format", fmt)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["promotion"]["action"] == "set" and answer["promotion"]["score"] == 10000
    assert answer["promotion"]["reason"] and answer["degraded"] is None
    assert answer["state"]["role"] == "Primary"


def test_outdated_standalone_node_says_why_it_is_not_promoted(tmp_path) -> None:
    path = saved(tmp_path, "drbd84/08-outdated-secondary-standalone-alpha.txt",
                 "drbdsetup events2 --now r0")
    answer = json.loads(pyha("drbd-state", "--from-file", path).stdout)
    assert answer["promotion"]["action"] == "delete"
    assert "Outdated" in answer["promotion"]["reason"]
    assert "disconnected" in answer["degraded"]


def test_wrong_format_is_a_clear_error_not_a_traceback(tmp_path) -> None:
    path = saved(tmp_path, "drbd84/08-outdated-secondary-standalone-alpha.txt",
                 "drbdsetup events2 --now r0")
    done = pyha("drbd-state", "--from-file", path, "--format", "json")
    assert done.returncode == 2 and done.stderr.startswith("pyha: ")
    assert "Traceback" not in done.stderr
