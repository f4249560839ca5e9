"""`make bench` runs bench/run.py without arguments: its command line must accept that."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.lab.agents import ROOT

pytestmark = pytest.mark.unit


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, f"{ROOT}/bench/run.py", *args],
                          capture_output=True, text=True, timeout=60)


def test_no_case_means_every_case_and_parses() -> None:
    # --count 1 stops it right after parsing, before any case sets anything up.
    done = bench("--count", "1")
    assert done.returncode == 2 and "--count must be at least 2" in done.stderr


def test_an_unknown_case_is_refused_with_the_choices() -> None:
    done = bench("nope")
    assert done.returncode == 2
    assert "unknown case nope: choose from floating-ip, drbd" in done.stderr
