"""`make bench`: pyha's monitors against those of the shell agents they replace.

Each case sets up a resource once, then lets the harness alternate the two monitors on it. The
goal is a ratio below 1.0, in wall time and in CPU, for every case.

floating-ip: our floating-ip against ocf:heartbeat:IPaddr2, both monitoring 10.77.0.100/24 on
eth0 of a host in a network namespace; our agent's start adds the address, its stop removes it.

drbd: our drbd against ocf:linbit:drbd, both monitoring the same real DRBD 8.4 resource (connected,
UpToDate, Secondary) in a qemu guest of the lab (TCG: every process start is slow there, which
is what a monitor's cost is made of). crm_attribute/crm_master are instant stand-ins on both
sides: there is no cluster in the guest, and the comparison is of the agents.

nfsserver: our nfsserver (backend=kernel) against ocf:heartbeat:nfsserver + ocf:heartbeat:exportfs
(both monitors, as one call: pyha's one resource does the work of those two) on one real kernel
nfsd serving one export in a guest of the lab.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# harness is found beside this script, tests.lab from ROOT.
from harness import BenchError, Command, Launcher, compare, report  # noqa: E402

from tests.lab.agents import agent_environment, agent_path, run_agent  # noqa: E402
from tests.lab.install import make_install  # noqa: E402
from tests.lab.moosefs import Cell, make_data_dir  # noqa: E402
from tests.lab.netns import Host, Lan, sh  # noqa: E402
from tests.lab.vm import drbd as vm_drbd  # noqa: E402
from tests.lab.vm import nfs as vm_nfs  # noqa: E402
from tests.lab.vm.guest import Guest  # noqa: E402
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
            ours = Command("floating-ip", [installed_agent("floating-ip"), "monitor"], env)
            results = compare(ours, Command("IPaddr2", [IPADDR2, "monitor"], env),
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


def in_guest(guest: Guest) -> Launcher:
    """The harness's launcher for a guest of the lab: the measuring process runs there."""
    def launch(argv: list[str], stdin: str) -> tuple[int, str, str]:
        done = guest.run(argv, input=stdin, timeout=3600)
        return done.rc, done.stdout, done.stderr
    return launch


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

        results = compare(Command("drbd", [installed_agent("drbd"), "monitor"], env),
                          Command("linbit-drbd", [LINBIT_DRBD, "monitor"], env),
                          count, warmup, launch=in_guest(alpha))
    return (f"monitor of DRBD 8.4 r0 (Secondary, connected, UpToDate) in a TCG guest, "
            f"after {warmup} warm-up calls each\n{report(*results)}")


HEARTBEAT_NFSSERVER = "/usr/lib/ocf/resource.d/heartbeat/nfsserver"
HEARTBEAT_EXPORTFS = "/usr/lib/ocf/resource.d/heartbeat/exportfs"


def nfsserver(count: int, warmup: int) -> str:
    """Our nfsserver (backend=kernel: every daemon from /proc, the state directory's bind mount,
    every export in /proc/fs/nfs/exports) against ocf:heartbeat:nfsserver and
    ocf:heartbeat:exportfs, the two resources the same service takes with the shell agents,
    monitored one after the other as one call. One kernel nfsd in a TCG guest, started by our
    agent, serves the export both sides are configured for; its state directory is on an ext4
    disk standing in for the DRBD filesystem."""
    for path in (HEARTBEAT_NFSSERVER, HEARTBEAT_EXPORTFS):
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path} is missing: apt-get install resource-agents")
    with VmPair(disk_mib=16) as pair:
        alpha = pair.guests[0]
        vm_nfs.prepare_disk(alpha)
        started = vm_nfs.run_agent(alpha, "start")
        if started.rc != 0:
            raise BenchError(f"nfsserver start exited {started.rc}: {started.output}")
        shell = {"HA_RSCTMP": vm_nfs.RSCTMP}
        alpha.write_file(f"{vm_nfs.RSCTMP}/bench-exportfs", "")  # what exportfs's start leaves
        shell_server = agent_environment("bench-nfsserver", {
            name: vm_nfs.PARAMS[name]
            for name in ("nfs_shared_infodir", "nfs_ip", "nfs_server_scope")}, META, shell)
        shell_export = agent_environment("bench-exportfs", {
            "directory": vm_nfs.EXPORT_DIR, "clientspec": vm_nfs.CLIENTS,
            "options": vm_nfs.EXPORT_OPTIONS, "fsid": "0"}, META, shell)
        results = compare(
            Command("nfsserver", [installed_agent("nfsserver"), "monitor"], vm_nfs.environment()),
            Command("nfsserver+exportfs", [HEARTBEAT_NFSSERVER, "monitor"], shell_server,
                    then=(Command("exportfs", [HEARTBEAT_EXPORTFS, "monitor"], shell_export),)),
            # In the guest's own namespaces (its init is pid 1): the monitors look for the
            # daemons in /proc, which a fresh PID namespace would hide.
            count, warmup, launch=in_guest(alpha), inside=1)
    return (f"monitor of a kernel nfsd with one export (NFSv3 and v4, state directory bound "
            f"over /var/lib/nfs) in a TCG guest, after {warmup} warm-up calls each\n"
            f"{report(*results)}")


ANYTHING = "/usr/lib/ocf/resource.d/heartbeat/anything"


def moosefs_master(count: int, warmup: int) -> str:
    """Our moosefs-master (lock file pid alive, not a zombie, client port answers) against
    ocf:heartbeat:anything, the generic way to run mfsmaster (pid file + kill -0), on the same
    mfsmaster; then against anything with a monitor_hook that checks the port as ours does.
    Its data directory is on a tmpfs standing in for the DRBD filesystem; the master and the
    monitors run in one PID namespace of their own (kill -0 and /proc must see it)."""
    if not os.access(ANYTHING, os.X_OK):
        raise BenchError(f"{ANYTHING} is missing: apt-get install resource-agents")
    with tempfile.TemporaryDirectory(prefix="pyha-bench-") as rsctmp, Cell() as cell:
        mount = cell.path("replicated")
        os.makedirs(mount)
        sh(["mount", "-t", "tmpfs", "pyha-bench-mfs", mount])
        holder = subprocess.Popen(["ip", "netns", "exec", cell.netns, "unshare", "--pid",
                                   "--fork", "--kill-child", "--mount-proc", "--propagation",
                                   "slave", "sleep", "infinity"])
        try:
            inside = namespace_init(holder.pid)
            data = make_data_dir(os.path.join(mount, "mfs"), metadata=True)
            pidfile = cell.path("anything.pid")
            params = {"config": cell.master_config("bench", data), "data_mount": mount,
                      "binfile": "/usr/sbin/mfsmaster", "pidfile": pidfile}
            env = agent_environment("bench-mfs", params, META, {"HA_RSCTMP": rsctmp})
            started = subprocess.run(["nsenter", "-t", str(inside), "--pid", "--mount", "--net",
                                      "--", agent_path("moosefs-master"), "start"], env=env,
                                     capture_output=True, text=True, timeout=120)
            if started.returncode != 0:
                raise BenchError(f"moosefs-master start exited {started.returncode}: "
                                 f"{started.stderr}")
            with open(os.path.join(data, ".mfsmaster.lock")) as lock, open(pidfile, "w") as pid:
                pid.write(lock.read())  # what anything's start would have written
            ours = Command("moosefs-master", [installed_agent("moosefs-master"), "monitor"], env)
            pid_only = compare(ours, Command("anything", [ANYTHING, "monitor"], env), count,
                               warmup, inside=inside)
            # The same depth as ours: anything's monitor_hook (eval'd by its shell) checking
            # that the client port answers, bounded as a monitor must be.
            hook = f"timeout 2 bash -c ': </dev/tcp/{cell.address}/9421'"
            port_too = compare(ours, Command("anything+port", [ANYTHING, "monitor"],
                                             {**env, "OCF_RESKEY_monitor_hook": hook}),
                               count, warmup, inside=inside)
        finally:
            holder.kill()  # its PID namespace, and the master in it, die with it
            holder.wait()
            sh(["umount", "-l", mount], check=False)
    return (f"monitor of a running mfsmaster, after {warmup} warm-up calls each; anything "
            f"checks the pid alone, moosefs-master also connects to the client port\n"
            f"{report(*pid_only)}\n\nthe same depth: anything with monitor_hook=\"{hook}\"\n"
            f"{report(*port_too)}")


def namespace_init(launcher: int) -> int:
    """The pid of `unshare --fork`'s child (PID 1 of the new namespace), once it exists."""
    for _ in range(100):
        try:
            with open(f"/proc/{launcher}/task/{launcher}/children") as children:
                found = children.read().split()
        except FileNotFoundError:
            found = []
        if found and os.path.basename(os.readlink(f"/proc/{found[0]}/exe")) == "sleep":
            return int(found[0])
        time.sleep(0.05)
    raise BenchError("the bench's PID namespace did not come up")


HEARTBEAT_MYSQL = "/usr/lib/ocf/resource.d/heartbeat/mysql"


def mariadb(count: int, warmup: int) -> str:
    """Our mariadb against ocf:heartbeat:mysql, both at OCF_CHECK_LEVEL=10 (where the shell
    agent starts to run SQL: pid file, kill -0, then a `mysql` client reading mysql.user; ours
    reads @@read_only and mysql.user over the socket with PyMySQL) on the same server, started
    by our agent in a PID namespace of its own."""
    from tests.lab.mariadb import servers

    if not os.access(HEARTBEAT_MYSQL, os.X_OK):
        raise BenchError(f"{HEARTBEAT_MYSQL} is missing: apt-get install resource-agents")
    with tempfile.TemporaryDirectory(prefix="pyha-bench-") as rsctmp, servers(1) as (db,):
        holder = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
                                   "--propagation", "slave", "sleep", "infinity"])
        try:
            inside = namespace_init(holder.pid)
            params = {**db.params(), "user": "mysql", "test_user": "root",
                      "client_binary": "/usr/bin/mysql"}
            env = agent_environment("bench-db", params, META,
                                    {"HA_RSCTMP": rsctmp, "OCF_CHECK_LEVEL": "10"})
            started = subprocess.run(["nsenter", "-t", str(inside), "--pid", "--mount", "--",
                                      agent_path("mariadb"), "start"], env=env,
                                     capture_output=True, text=True, timeout=120)
            if started.returncode != 0:
                raise BenchError(f"mariadb start exited {started.returncode}: {started.stderr}")
            results = compare(Command("mariadb", [installed_agent("mariadb"), "monitor"], env),
                              Command("heartbeat-mysql", [HEARTBEAT_MYSQL, "monitor"], env),
                              count, warmup, inside=inside)
        finally:
            holder.kill()   # its PID namespace, and the server in it, die with it
            holder.wait()
    return (f"monitor of a running MariaDB at OCF_CHECK_LEVEL=10, after {warmup} warm-up calls "
            f"each\n{report(*results)}")


CASES = {"floating-ip": floating_ip, "drbd": drbd, "moosefs-master": moosefs_master,
         "nfsserver": nfsserver, "mariadb": mariadb}

GUEST_CASES = ("drbd", "nfsserver")


def exit_on_sigterm() -> None:
    """SIGTERM (timeout(1), a CI job cancelled) unwinds like Ctrl-C: the namespaces are removed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench: terminated"))


# Where main() make-installs the agents: the measured monitors are the installed ones (launchers
# over modules whose bytecode Python caches), as a node runs them; set-up uses the checkout's.
INSTALL_ROOT = ""


def installed_agent(name: str) -> str:
    return os.path.join(INSTALL_ROOT, "usr/lib/ocf/resource.d/pyha", name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="measured calls per agent")
    parser.add_argument("--drbd-count", type=int, default=40,
                        help="measured calls per agent in the (slow, emulated) guest of the "
                             f"{' and '.join(GUEST_CASES)} cases")
    # No argparse choices: with nargs="*" it checks the default list as one value.
    parser.add_argument("cases", nargs="*", metavar="case",
                        help=f"which comparisons: {', '.join(CASES)} (default: all)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured calls per agent first")
    args = parser.parse_args()
    if args.count < 2 or args.warmup < 0:
        parser.error("--count must be at least 2 and --warmup not negative")
    unknown = [case for case in args.cases if case not in CASES]
    if unknown:
        parser.error(f"unknown case {', '.join(unknown)}: choose from {', '.join(CASES)}")
    exit_on_sigterm()
    global INSTALL_ROOT
    try:
        with tempfile.TemporaryDirectory(prefix="pyha-bench-install-") as INSTALL_ROOT:
            os.chmod(INSTALL_ROOT, 0o755)
            make_install(INSTALL_ROOT)
            for case in args.cases or CASES:
                count = args.drbd_count if case in GUEST_CASES else args.count
                print(CASES[case](count, args.warmup), end="\n\n", flush=True)
    except BenchError as err:
        after = f" (after: {err.__context__})" if err.__context__ else ""
        sys.exit(f"bench: {err}{after}")


if __name__ == "__main__":
    main()
