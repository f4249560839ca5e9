"""`make demo`: a two-node cluster, a pyha floating IP, the active node killed, the outage measured.

Everything runs in namespaces on this machine: two Pacemaker + Corosync nodes with fencing, a
client that pings the service address every 10 ms, and a power cut of the node carrying it.
"""

from __future__ import annotations

import os
import sys
import time

from tests.lab.cluster import Cluster
from tests.lab.outage import Pinger

VIP = "10.78.0.100"


def say(started: float, text: str) -> None:
    print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)


def where(cluster: Cluster, resource: str) -> list[str]:
    return list(cluster.resource_roles(resource))


def main() -> int:
    if os.geteuid() != 0:
        print("make demo needs root (namespaces, mounts)", file=sys.stderr)
        return 1
    started = time.monotonic()
    say(started, "installing the agents into a scratch root and starting node1 and node2 "
                 "(Pacemaker + Corosync, fencing on)")
    with Cluster(("node1", "node2"), subnet4="10.78.0") as cluster:
        say(started, f"cluster formed in {cluster.formation_seconds:.1f}s: "
                     f"{' '.join(sorted(cluster.online_nodes()))} online")
        command = ["pcs", "resource", "create", "vip", "ocf:pyha:floating-ip", f"ip={VIP}",
                   "cidr_netmask=24", "op", "monitor", "interval=2s"]
        say(started, "$ " + " ".join(command))
        cluster.run("node1", command, check=True)
        cluster.wait_for(lambda: len(where(cluster, "vip")) == 1, 60, "vip started")
        (active,) = where(cluster, "vip")
        survivor = next(name for name in cluster.names if name != active)
        say(started, f"vip {VIP} started on {active}; the client pings it every 10 ms")
        with Pinger(cluster.client, VIP) as pinger:
            time.sleep(2)
            killed_wall = time.time()
            killed = time.monotonic()
            say(started, f"power cut: killing {active}")
            cluster.kill_node(active)
            moved = cluster.wait_for(lambda: where(cluster, "vip") == [survivor], 90,
                                     "vip moved")
            say(started, f"Pacemaker fenced {active} and started vip on {survivor} "
                         f"{moved:.1f}s after the cut")
            time.sleep(2)
        outage = pinger.longest_gap(after=killed_wall)
        fenced = [f"{action} {node} at +{at - killed:.1f}s"
                  for at, action, node in cluster.fence_events]
        say(started, "fencing: " + ("; ".join(fenced) or "none"))
        print(cluster.run(survivor, ["crm_mon", "-1"]).stdout)
        print(f"RESULT: the client could not reach {VIP} for {outage:.2f} s "
              f"(node kill -> fence -> start on {survivor} -> gratuitous ARP)")
    say(started, "cleaned up: no namespaces, mounts or daemons left behind")
    return 0


if __name__ == "__main__":
    sys.exit(main())
