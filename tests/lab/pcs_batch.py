"""Many pcs commands for the price of one pcs start-up, against an installed scratch root.

pcs costs about half a second per call, nearly all of it Python importing pcs, and the recipes
and package checks run some fifty commands. A small server imports pcs once, inside the overlay
namespace of `run_installed`, and runs each command in a forked child through pcs's own entry
point with `sys.argv` set: the code path of /usr/sbin/pcs, one process per command, a fresh
copy of pcs's state each time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from tests.lab.install import run_installed

_SERVER = r"""
import json, os, sys, tempfile
from pcs.entry_points.cli import main

request = json.load(sys.stdin)
results = []
for argv in request["commands"]:
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        sys.argv = ["pcs", *argv]
        try:
            main()
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
            if isinstance(exit.code, str):
                print(exit.code, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    out.seek(0)
    err.seek(0)
    rc = os.waitstatus_to_exitcode(status)
    results.append({"argv": argv, "rc": rc, "stdout": out.read().decode(),
                    "stderr": err.read().decode()})
    if rc != 0 and request["stop_at_failure"]:
        break
json.dump(results, sys.stdout)
"""


@dataclass(frozen=True)
class PcsResult:
    argv: list[str]
    rc: int
    stdout: str
    stderr: str


def run_pcs_batch(root: str, commands: Sequence[Sequence[str]],
                  stop_at_failure: bool = False) -> list[PcsResult]:
    """Run `pcs <argv>` for each argv in order, with root's agents overlaid on /usr/lib/ocf.
    With stop_at_failure the list ends at the first failed command (commands building one CIB:
    what follows a failure only repeats it)."""
    request = json.dumps({"commands": [list(argv) for argv in commands],
                          "stop_at_failure": stop_at_failure})
    done = run_installed(root, ["/usr/bin/python3", "-Es", "-c", _SERVER], input=request,
                         timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"pcs batch server failed: {done.stderr}")
    return [PcsResult(**result) for result in json.loads(done.stdout)]
