"""A scratch CIB file that `pcs -f` edits against the make-install'ed agents, and crm_verify
checks: how the pcs tests of every agent meet the agent as an admin's pcs line does."""

from __future__ import annotations

import subprocess

from tests.lab.install import run_installed


def empty_cib(path: str) -> str:
    with open(path, "w") as cib_file:
        subprocess.run(["cibadmin", "--empty"], stdout=cib_file, check=True)
    return path


class OfflineCib:
    def __init__(self, installed: str, path: str) -> None:
        self.installed = installed
        self.path = empty_cib(path)

    def pcs(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = run_installed(self.installed, ["pcs", "-f", self.path, *args])
        if check:
            assert done.returncode == 0, f"pcs {' '.join(args)}: {done.stdout}{done.stderr}"
        return done

    def verify(self) -> str:
        """crm_verify's verdict on the CIB, which is returned as text. A scratch CIB has no
        fence device, so stonith is switched off here; fencing belongs to the recipe and
        cluster tests."""
        self.pcs("property", "set", "stonith-enabled=false")
        verified = run_installed(self.installed, ["crm_verify", "-V", "-x", self.path])
        assert verified.returncode == 0, verified.stdout + verified.stderr
        return self.text()

    def text(self) -> str:
        with open(self.path) as cib_file:
            return cib_file.read()
