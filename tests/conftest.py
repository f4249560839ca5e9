"""Shared fixtures: namespaces that always get cleaned up, and figures reported at the end."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from tests.lab import netns
from tests.lab.install import make_install
from tests.lab.offline_cib import OfflineCib

FIGURES: list[str] = []


def report_figure(text: str) -> None:
    """A measured figure (an outage, a start-up time) printed in the run's summary."""
    FIGURES.append(text)


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("pyha figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session", autouse=True)
def _sweep_stale_namespaces() -> None:
    if os.geteuid() == 0:
        netns.sweep_stale()


@pytest.fixture(scope="session")
def installed() -> Iterator[str]:
    """`make install DESTDIR=…` into a root anyone can read: tests that run agents as nobody
    (ocf-tester, meta-data) must not depend on where the checkout lives."""
    destdir = tempfile.mkdtemp(prefix="pyha-install-")
    os.chmod(destdir, 0o755)
    try:
        make_install(destdir)
        yield destdir
    finally:
        shutil.rmtree(destdir)


@pytest.fixture
def offline_cib(installed: str, tmp_path) -> OfflineCib:
    """An empty CIB file for `pcs -f`, with the installed agents visible to pcs."""
    return OfflineCib(installed, str(tmp_path / "cib.xml"))


@pytest.fixture
def lan() -> Iterator[netns.Lan]:
    """A bridge with two nodes (node1 10.77.0.1, node2 10.77.0.2) and a client (10.77.0.10)."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    with netns.Lan() as network:
        network.add_host("node1", 1)
        network.add_host("node2", 2)
        network.add_host("client", 10)
        yield network


@pytest.fixture
def rsctmp(tmp_path) -> str:
    """A private HA_RSCTMP, so state files of parallel tests never meet."""
    path = tmp_path / "rsctmp"
    path.mkdir()
    return str(path)
