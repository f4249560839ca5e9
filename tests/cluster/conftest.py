"""Clusters for tests: fresh per test (they form in seconds), logs attached when a test fails."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.lab.cluster import Cluster


def cluster_fixture(names: tuple[str, ...]):
    @pytest.fixture
    def fixture(request) -> Iterator[Cluster]:
        if os.geteuid() != 0:
            pytest.skip("namespace clusters need root")
        with Cluster(names) as cluster:
            yield cluster
            assert not cluster.background_errors
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                print(cluster.logs())
    return fixture


three_nodes = cluster_fixture(("node1", "node2", "node3"))
two_nodes = cluster_fixture(("node1", "node2"))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
