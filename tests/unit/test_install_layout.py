"""`make install`'s layout: each agent is a small launcher over its own module in the library,
so that Python caches the agent's bytecode instead of compiling the script on every call."""

from __future__ import annotations

import glob
import os
import subprocess

import pytest

from tests.lab.agents import AGENTS_DIR

AGENTS = sorted(os.listdir(AGENTS_DIR))


@pytest.mark.parametrize("agent", AGENTS)
def test_an_installed_agent_runs_its_module_whose_bytecode_is_cached(agent: str,
                                                                    installed: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("the library is root's: only root's runs write its bytecode cache")
    launcher = os.path.join(installed, "usr/lib/ocf/resource.d/pyha", agent)
    library = os.path.join(installed, "usr/lib/ocf/lib/pyha/pyha_agents")
    module = agent.replace("-", "_")
    with open(launcher) as text:
        assert f"from pyha_agents.{module} import agent" in text.read()
    with open(os.path.join(AGENTS_DIR, agent), "rb") as source, \
            open(os.path.join(library, f"{module}.py"), "rb") as copy:
        assert copy.read() == source.read()
    done = subprocess.run([launcher, "meta-data"], capture_output=True, env={"PATH": "/bin"})
    assert done.returncode == 0, done.stderr.decode()
    assert b'<resource-agent name="' + agent.encode() in done.stdout
    assert glob.glob(os.path.join(library, "__pycache__", f"{module}.*.pyc"))
