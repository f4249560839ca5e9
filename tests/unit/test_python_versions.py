"""pyha promises Python 3.9+ (RHEL 9's and Debian 12's system Pythons): the library compiles
and an agent answers under every interpreter of that range this machine has."""

from __future__ import annotations

import glob
import os
import subprocess

import pytest

from tests.lab.agents import ROOT, agent_environment, agent_path

pytestmark = pytest.mark.unit

INTERPRETERS = sorted({*glob.glob("/root/.pyenv/versions/3.*/bin/python3.[0-9]*"),
                       *glob.glob("/usr/bin/python3.[0-9]*")})


def supported(path: str) -> bool:
    name = os.path.basename(path)
    parts = name.removeprefix("python").split(".")
    return (len(parts) == 2 and parts[1].isdigit() and int(parts[0]) == 3 and int(parts[1]) >= 9
            and os.access(path, os.X_OK))


@pytest.mark.parametrize("python", [p for p in INTERPRETERS if supported(p)] or ["none"])
def test_library_compiles_and_agent_answers(python: str, tmp_path) -> None:
    if python == "none":
        pytest.skip("no Python 3.9+ interpreter besides the default was found")
    compiled = subprocess.run([python, "-c", "import ast, pathlib, sys\n"
                               "for f in pathlib.Path(sys.argv[1]).glob('ocf_lib/**/*.py'):\n"
                               "    ast.parse(f.read_text(), str(f))",
                               ROOT], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    env = agent_environment("v", {"port": "1"}, {"interval": "0"}, {"HA_RSCTMP": str(tmp_path)})
    probe = subprocess.run([python, "-I", "-S", agent_path("floating-ip"), "monitor"],
                           env=env, capture_output=True, text=True)
    assert probe.returncode == 7, probe.stderr
    invalid = subprocess.run([python, "-I", "-S", agent_path("floating-ip"), "validate-all"],
                             env={**env, "OCF_RESKEY_port": "0"}, capture_output=True, text=True)
    assert invalid.returncode == 6 and "port='0'" in invalid.stderr
