"""PID 1 of a lab NFS server node: private /run, /var/lib/nfs and a "replicated" filesystem,
the D-Bus system bus an OS would run, then reap.

Started by tests/lab/nfs_node.py as
`ip netns exec NS unshare --mount --uts --pid --fork --mount-proc python3 nfs_node_init.py
SHARED READY` (not -I: node_init is imported from beside it). Everything it mounts lives in
its mount namespace and vanishes with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

# This script's directory is sys.path[0]: the cluster node's PID 1 lends its helpers.
from node_init import reap_forever, sh


def main() -> None:
    shared, ready_file = sys.argv[1], sys.argv[2]
    sh("mount", "--make-rprivate", "/")
    sh("hostname", "nfsnode")
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "node-run", "/run")
    for path in ("/run/resource-agents", "/run/lock", "/run/dbus"):
        os.makedirs(path, exist_ok=True)
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "node-shared", shared)
    subprocess.Popen(["dbus-daemon", "--system", "--nofork", "--nopidfile"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
    until = time.monotonic() + 10
    while not os.path.exists("/run/dbus/system_bus_socket") and time.monotonic() < until:
        time.sleep(0.02)
    with open(ready_file, "w") as ready:
        ready.write(f"{os.getpid()}\n")
    reap_forever()


if __name__ == "__main__":
    main()
