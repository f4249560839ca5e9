"""Build outputs, each made once per session by the Makefile target users run, in scratch dirs:
the RPM and its payload unpacked into a root, the man pages, the reference pages."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

from tests.lab.agents import AGENTS_DIR, ROOT

AGENTS = sorted(name for name in os.listdir(AGENTS_DIR) if not name.startswith("."))


def make(target: str, **variables: str) -> None:
    done = subprocess.run(["make", "-s", "-C", ROOT, target,
                           *(f"{name}={value}" for name, value in variables.items())],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"make {target}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def scratch() -> Iterator[str]:
    """Readable by anyone: ocf-tester and the meta-data checks run agents as nobody."""
    path = tempfile.mkdtemp(prefix="pyha-packaging-")
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


@pytest.fixture(scope="session")
def rpm_file(scratch: str) -> str:
    make("rpm", RPM_TOPDIR=os.path.join(scratch, "rpm"))
    packages = glob.glob(os.path.join(scratch, "rpm", "RPMS", "noarch", "pyha-*.noarch.rpm"))
    assert len(packages) == 1, packages
    return packages[0]


@pytest.fixture(scope="session")
def rpm_root(rpm_file: str, scratch: str) -> str:
    """The package's payload unpacked as it would land on /, without installing it."""
    root = os.path.join(scratch, "root")
    os.mkdir(root)
    payload = subprocess.run(["rpm2cpio", rpm_file], capture_output=True, check=True).stdout
    subprocess.run(["cpio", "-idm", "--quiet"], input=payload, cwd=root, check=True)
    return root


@pytest.fixture(scope="session")
def man_dir(scratch: str) -> str:
    make("man", BUILDDIR=os.path.join(scratch, "build"))
    return os.path.join(scratch, "build", "man")


@pytest.fixture(scope="session")
def doc_dir(scratch: str) -> str:
    make("doc", BUILDDIR=os.path.join(scratch, "build"))
    return os.path.join(scratch, "build", "doc", "agents")
