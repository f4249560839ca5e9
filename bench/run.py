"""`make bench`: pyha's monitors against those of the shell agents they replace.

Each case sets up a resource once, then lets the harness alternate the two monitors on it. The
goal is a ratio below 1.0, in wall time and in CPU, for every case.

floating-ip: our floating-ip against ocf:heartbeat:IPaddr2, both monitoring 10.77.0.100/24 on
eth0 of a host in a network namespace; our agent's start adds the address, its stop removes it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# harness is found beside this script, tests.lab from ROOT.
from harness import BenchError, Command, compare, report  # noqa: E402

from tests.lab.agents import agent_environment, agent_path, run_agent  # noqa: E402
from tests.lab.netns import Host, Lan  # noqa: E402

IPADDR2 = "/usr/lib/ocf/resource.d/heartbeat/IPaddr2"
INSTANCE = "bench-vip"
PARAMS = {"ip": "10.77.0.100", "cidr_netmask": "24", "nic": "eth0"}
META = {"interval": "10000", "timeout": "20000"}


def lifecycle(host: Host, action: str, rsctmp: str) -> None:
    """Our agent's start or stop on the host; BenchError unless it succeeds."""
    done = run_agent("floating-ip", action, instance=INSTANCE, params=PARAMS, meta=META,
                     extra_env={"HA_RSCTMP": rsctmp}, netns=host.netns)
    if done.rc != 0:
        raise BenchError(f"floating-ip {action} exited {done.rc}: {done.stderr.strip()}")


def floating_ip(count: int, warmup: int) -> str:
    if not os.access(IPADDR2, os.X_OK):
        raise BenchError(f"{IPADDR2} is missing: apt-get install resource-agents")
    with tempfile.TemporaryDirectory(prefix="pyha-bench-") as rsctmp, Lan() as lan:
        host = lan.add_host("bench", 1)
        # One environment for both: the same parameters, meta attributes and HA_RSCTMP.
        env = agent_environment(INSTANCE, PARAMS, META, {"HA_RSCTMP": rsctmp})
        lifecycle(host, "start", rsctmp)
        try:
            results = compare(Command("floating-ip", [agent_path("floating-ip"), "monitor"], env),
                              Command("IPaddr2", [IPADDR2, "monitor"], env),
                              count, warmup, netns=host.netns)
        finally:
            lifecycle(host, "stop", rsctmp)
    title = (f"monitor of {PARAMS['ip']}/{PARAMS['cidr_netmask']} on {PARAMS['nic']}, "
             f"after {warmup} warm-up calls each")
    return f"{title}\n{report(*results)}"


def exit_on_sigterm() -> None:
    """SIGTERM (timeout(1), a CI job cancelled) unwinds like Ctrl-C: the namespaces are removed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench: terminated"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="measured calls per agent")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured calls per agent first")
    args = parser.parse_args()
    if args.count < 2 or args.warmup < 0:
        parser.error("--count must be at least 2 and --warmup not negative")
    exit_on_sigterm()
    try:
        print(floating_ip(args.count, args.warmup))
    except BenchError as err:
        after = f" (after: {err.__context__})" if err.__context__ else ""
        sys.exit(f"bench: {err}{after}")


if __name__ == "__main__":
    main()
