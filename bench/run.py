"""`make bench`: pyha's monitors against those of the shell agents they replace.

Each case sets up a resource once, then lets the harness alternate the two monitors on it. The
goal is a ratio below 1.0, in wall time and in CPU, for every case.

floating-ip: our floating-ip against ocf:heartbeat:IPaddr2, both monitoring 10.77.0.100/24 on
eth0 of a host in a network namespace; our agent's start adds the address, its stop removes it.

drbd: our drbd against ocf:linbit:drbd, both monitoring the same real DRBD 8.4 resource (connected,
UpToDate, Secondary) in a qemu guest of the lab (TCG: every process start is slow there, which
is what a monitor's cost is made of). crm_attribute/crm_master are instant stand-ins on both
sides: there is no cluster in the guest, and the comparison is of the agents.
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
from tests.lab.vm import drbd as vm_drbd  # noqa: E402
from tests.lab.vm.pair import VmPair  # noqa: E402

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


LINBIT_DRBD = "/usr/lib/ocf/resource.d/linbit/drbd"
FAKE_BIN = "/run/pyha-bench-bin"
DRBD_META = {"clone_max": "2", "clone_node_max": "1", "promoted_max": "1", "master_max": "1",
             "promoted_node_max": "1", "master_node_max": "1", "notify": "true",
             "interval": "20000", "timeout": "20000", "role": "Unpromoted"}


def drbd(count: int, warmup: int) -> str:
    if not os.access(LINBIT_DRBD, os.X_OK):
        raise BenchError(f"{LINBIT_DRBD} is missing: apt-get install drbd-utils")
    with VmPair(disk_mib=16) as pair:
        vm_drbd.bring_up_synced(pair, "r0", mkfs=None)
        pair.parallel(lambda g: g.run(["drbdadm", "up", "r0"], check=True))
        alpha = pair.guests[0]
        vm_drbd.wait_proc_drbd(alpha, lambda t: vm_drbd.disk_states(t) == ("UpToDate",
                               "UpToDate") and vm_drbd.connection_state(t) == "Connected", 60,
                               "connected")
        for tool in ("crm_attribute", "crm_master"):
            alpha.write_file(f"{FAKE_BIN}/{tool}", "#!/bin/sh\nexit 0\n", mode=0o755)
        env = agent_environment("bench-drbd", {"drbd_resource": "r0"}, DRBD_META,
                                {"PATH": f"{FAKE_BIN}:/usr/sbin:/usr/bin:/sbin:/bin"})

        def in_guest(argv: list[str], stdin: str) -> tuple[int, str, str]:
            done = alpha.run(argv, input=stdin, timeout=3600)
            return done.rc, done.stdout, done.stderr

        results = compare(Command("drbd", [agent_path("drbd"), "monitor"], env),
                          Command("linbit-drbd", [LINBIT_DRBD, "monitor"], env),
                          count, warmup, launch=in_guest)
    return (f"monitor of DRBD 8.4 r0 (Secondary, connected, UpToDate) in a TCG guest, "
            f"after {warmup} warm-up calls each\n{report(*results)}")


CASES = {"floating-ip": floating_ip, "drbd": drbd}


def exit_on_sigterm() -> None:
    """SIGTERM (timeout(1), a CI job cancelled) unwinds like Ctrl-C: the namespaces are removed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench: terminated"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="measured calls per agent")
    parser.add_argument("--drbd-count", type=int, default=40,
                        help="measured calls per agent in the (slow, emulated) DRBD guest")
    parser.add_argument("cases", nargs="*", choices=[*CASES, []], default=list(CASES),
                        help="which comparisons (default: all)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured calls per agent first")
    args = parser.parse_args()
    if args.count < 2 or args.warmup < 0:
        parser.error("--count must be at least 2 and --warmup not negative")
    exit_on_sigterm()
    try:
        for case in args.cases:
            count = args.drbd_count if case == "drbd" else args.count
            print(CASES[case](count, args.warmup), end="\n\n", flush=True)
    except BenchError as err:
        after = f" (after: {err.__context__})" if err.__context__ else ""
        sys.exit(f"bench: {err}{after}")


if __name__ == "__main__":
    main()
