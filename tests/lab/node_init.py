"""PID 1 of a lab cluster node: private mounts, then corosync and pacemakerd, then reap.

Started by tests/lab/cluster.py as
`ip netns exec NS unshare --mount --uts --pid --fork --mount-proc python3 node_init.py CONFIG`.
Standard library only; it runs in the node's own mount, UTS and PID namespaces, so everything it
mounts vanishes with it. Killing it (SIGKILL from the host) kills the whole node at once, which is
what a power cut or a fence does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

DAEMON_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True)


def prepare(config: dict) -> None:
    sh("mount", "--make-rprivate", "/")
    sh("hostname", config["name"])
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "node-run", "/run")
    for path in ("/run/resource-agents", "/run/lock", "/run/crm", "/run/corosync"):
        os.makedirs(path, exist_ok=True)
    os.chmod("/run/lock", 0o1777)
    sh("chown", "hacluster:haclient", "/run/crm")
    sh("mount", "-t", "tmpfs", "-o", "mode=1777", "node-shm", "/dev/shm")
    for source, target in config["binds"]:
        sh("mount", "--bind", source, target)
    for target, lowers in config["overlays"]:
        sh("mount", "-t", "overlay", "pyha-lab", "-o", "lowerdir=" + ":".join(lowers), target)


def start_daemon(argv: list[str], log_path: str) -> subprocess.Popen:
    log = open(log_path, "ab")  # noqa: SIM115 - the daemon keeps it for its lifetime
    return subprocess.Popen(argv, env=DAEMON_ENV, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)


def wait_for_corosync(timeout: float) -> None:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        ring = subprocess.run(["corosync-cfgtool", "-s"], capture_output=True)
        if ring.returncode == 0:
            return
        time.sleep(0.1)
    raise SystemExit("corosync did not come up")


def main() -> None:
    with open(sys.argv[1]) as config_file:
        config = json.load(config_file)
    prepare(config)
    logs = config["log_dir"]
    start_daemon(["corosync", "-f"], os.path.join(logs, "corosync.out"))
    wait_for_corosync(30)
    start_daemon(["pacemakerd"], os.path.join(logs, "pacemakerd.out"))
    with open(config["ready_file"], "w") as ready:
        ready.write(f"{os.getpid()}\n")
    reap_forever()


def reap_forever() -> None:
    """PID 1's last job: reap every orphan, or the daemons agents start and the ones killed
    would linger as zombies."""
    while True:
        try:
            os.wait()
        except ChildProcessError:
            time.sleep(1)


if __name__ == "__main__":
    main()
