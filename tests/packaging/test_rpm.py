"""The RPM (`make rpm`, pyha.spec): what it contains, what it depends on, and that its agents
run from its own payload as Pacemaker, pcs and ocf-tester run them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from xml.etree import ElementTree

import pytest

from tests.lab.agents import ROOT
from tests.lab.pcs_batch import run_pcs_batch
from tests.packaging.conftest import AGENTS
from tools.agentdoc.model import read_agent

pytestmark = [pytest.mark.check]

PROVIDER_DIR = "/usr/lib/ocf/resource.d/pyha"
LIBRARY_DIR = "/usr/lib/ocf/lib/pyha"


def query(rpm_file: str, *options: str) -> list[str]:
    done = subprocess.run(["rpm", "-qp", *options, rpm_file], capture_output=True, text=True,
                          check=True)
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def files(rpm_file: str) -> dict[str, str]:
    """Path -> `mode user:group` of every file in the package."""
    lines = query(rpm_file, "--queryformat",
                  "[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]")
    return {path: f"{mode} {owner}" for mode, owner, path in (line.split(" ", 2)
                                                              for line in lines)}


def library_sources() -> list[str]:
    """ocf_lib, and each agent as the module its launcher imports (pyha_agents.<agent_name>)."""
    return sorted([*(os.path.relpath(os.path.join(directory, name), ROOT)
                     for directory, _, names in os.walk(os.path.join(ROOT, "ocf_lib"))
                     for name in names if name.endswith(".py")),
                   "pyha_agents/__init__.py",
                   *(f"pyha_agents/{agent.replace('-', '_')}.py" for agent in AGENTS)])


def test_package_is_noarch(rpm_file: str) -> None:
    assert query(rpm_file, "--queryformat", "%{NAME} %{ARCH}") == ["pyha noarch"]


def test_provider_dir_holds_every_agent_0755_and_nothing_else(files: dict[str, str]) -> None:
    provider = {path[len(PROVIDER_DIR) + 1:]: mode for path, mode in files.items()
                if path.startswith(PROVIDER_DIR + "/")}
    assert provider == dict.fromkeys(AGENTS, "-rwxr-xr-x root:root")
    assert files[PROVIDER_DIR] == "drwxr-xr-x root:root"


def test_library_is_where_the_agents_look_for_it(files: dict[str, str]) -> None:
    packaged = {path for path in files if path.startswith(LIBRARY_DIR + "/")}
    missing = [path for path in library_sources() if f"{LIBRARY_DIR}/{path}" not in packaged]
    assert not missing
    assert not [path for path in packaged if path.endswith(".py")
                and path[len(LIBRARY_DIR) + 1:] not in library_sources()]
    assert files[f"{LIBRARY_DIR}/ocf_lib/__init__.py"] == "-rw-r--r-- root:root"


def test_library_ships_its_bytecode(files: dict[str, str]) -> None:
    compiled = {path.split("/__pycache__/")[1].split(".")[0] for path in files
                if "/ocf_lib/__pycache__/" in path}
    assert {"agent", "codes", "metadata"} <= compiled
    agents = {path.split("/__pycache__/")[1].split(".")[0] for path in files
              if "/pyha_agents/__pycache__/" in path}
    assert agents == {"__init__", *(agent.replace("-", "_") for agent in AGENTS)}


def test_admin_command_man_pages_and_docs_are_packaged(files: dict[str, str]) -> None:
    assert files["/usr/sbin/pyha"] == "-rwxr-xr-x root:root"
    for agent in AGENTS:
        assert {f"/usr/share/man/man7/ocf_pyha_{agent}.7",
                f"/usr/share/man/man7/ocf_pyha_{agent}.7.gz"} & set(files)
        assert f"/usr/share/doc/pyha/agents/{agent}.md" in files
    for page in os.listdir(os.path.join(ROOT, "doc", "recipes")):
        assert f"/usr/share/doc/pyha/recipes/{page}" in files


def test_requires_what_every_agent_needs(rpm_file: str) -> None:
    requires = {line.split()[0] for line in query(rpm_file, "--requires")}
    assert {"python3", "pacemaker-cli", "python3-lxml", "resource-agents"} <= requires


def test_services_are_weak_dependencies(rpm_file: str) -> None:
    weak = set(query(rpm_file, "--recommends")) | set(query(rpm_file, "--suggests"))
    assert {"drbd-utils", "nfs-utils", "mariadb-server", "moosefs-master", "iproute",
            "(python3-PyMySQL if mariadb-server)"} <= weak


@pytest.mark.parametrize("agent", AGENTS)
def test_unpacked_agent_prints_its_metadata_as_nobody(rpm_root: str, agent: str) -> None:
    """The agent finds the packaged ocf_lib: `python3 -IS` sees nothing but the paths its first
    lines derive from its own location."""
    path = os.path.join(rpm_root, PROVIDER_DIR[1:], agent)
    done = subprocess.run(["su", "nobody", "-s", "/bin/sh", "-c", f"{path} meta-data"],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert ElementTree.fromstring(done.stdout).get("name") == agent


def test_unpacked_admin_command_runs(rpm_root: str) -> None:
    done = subprocess.run([os.path.join(rpm_root, "usr/sbin/pyha"), "--help"],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "drbd-state" in done.stdout


def test_pcs_describes_every_unpacked_agent_with_all_its_parameters(rpm_root: str) -> None:
    results = run_pcs_batch(rpm_root, [["resource", "describe", f"ocf:pyha:{agent}"]
                                       for agent in AGENTS])
    for agent, described in zip(AGENTS, results):
        assert described.rc == 0, described.stderr
        parameters = read_agent(os.path.join(rpm_root, PROVIDER_DIR[1:], agent)).parameters
        assert [param.name for param in parameters
                if not re.search(rf"^  {re.escape(param.name)}\b", described.stdout, re.M)] == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def test_ocf_tester_passes_for_the_unpacked_floating_ip(rpm_root: str, rsctmp: str) -> None:
    """The one agent ocf-tester can start and stop on a bare host: floating-ip as a
    load-balancer probe listener (the others need DRBD, an NFS kernel server, MariaDB data or
    MooseFS, and run through ocf-tester in their own tiers)."""
    agent = os.path.join(rpm_root, PROVIDER_DIR[1:], "floating-ip")
    done = subprocess.run(["ocf-tester", "-n", "lbprobe", "-o", f"port={free_port()}", agent],
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HA_RSCTMP": rsctmp})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed all tests" in done.stdout
