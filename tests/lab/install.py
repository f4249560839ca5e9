"""`make install` into a scratch root, and commands that see it as if installed on the host.

The host's /usr is never touched: a private mount namespace overlays the scratch install on
/usr/lib/ocf, so pcs, crm_resource and crm_verify find ocf:pyha agents where they expect them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from tests.lab.agents import ROOT

# Constant script; the root and the command arrive as positional arguments, never spliced in.
_OVERLAY = ('mount -t overlay pyha-install -o "lowerdir=$1/usr/lib/ocf:/usr/lib/ocf" '
            '/usr/lib/ocf && shift && exec "$@"')


def make_install(destdir: str) -> None:
    subprocess.run(["make", "-s", "-C", ROOT, "install", f"DESTDIR={destdir}"], check=True,
                   capture_output=True)


def run_installed(destdir: str, argv: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           _OVERLAY, "sh", destdir, *argv],
                          capture_output=True, text=True, **kwargs)
