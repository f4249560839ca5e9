"""A recipe's topology live in the VM pair, and a power cut of the node serving it while a client
on the other node writes: what the NFS (seeds 000/003) and MooseFS (seed 004) topologies share.

The pcs commands are a recipe's own (its blocks that create pyha resources) with the lab's values
for the placeholders, so the page and the tests cannot drift; the recipe's fence devices are the
lab's `fence_lab` instead (VmCluster seeds it).

The client must survive the power cut and the pair has only two guests: it is the node that does
not serve, mounting the service address; after the failover it reaches the service, on itself,
through the same address.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tests.lab.recipes import load_recipe
from tests.lab.vm.cluster import ClusterError, VmCluster
from tests.vm.drbd_stack import primaries

WRITER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fsync_writer.py")
WRITER_LOG = "/run/pyha-writer.log"    # the client's tmpfs, not the filesystem under test
WRITER_STOP = "/run/pyha-writer.stop"
WRITER_OUTPUT = "/run/pyha-writer.out"
WRITE_INTERVAL = 0.1    # between acknowledged writes: the outage's resolution
# Fencing powers the killed node off rather than rebooting it: its rejoin is not what is shown,
# and under TCG its joining would hold up the transitions of the failover.
PROPERTIES = (("stonith-action", "off"),)


def recipe_pcs(recipe_path: str, values: Mapping[str, str],
               extra: Sequence[Sequence[str]] = ()) -> list[list[str]]:
    """The pcs commands (without `pcs`) of a recipe's main blocks that create pyha resources,
    with `values` for its placeholders, then `extra`."""
    recipe = load_recipe(recipe_path)
    merged = {**recipe.placeholders, **values}
    return [*(argv for block in recipe.blocks_of("main") if block.agents
              for argv in block.argvs(merged)),
            *(list(argv) for argv in extra)]


def active_roles(cluster: VmCluster, resource_id: str) -> dict[str, str]:
    """{node: role} of the active instances of a resource not in a transition. With its peer
    gone, as after a failover, the drbd monitor says 191 (promoted, degraded): crm_mon then
    shows the Promoted instance with pending="Monitoring" for good, which Cluster.resource_roles
    takes for a transition and leaves out."""
    status = cluster.status()
    if status is None:
        return {}
    return {node.get("name"): resource.get("role") for resource in status.iter("resource")
            if resource.get("id", "").split(":")[0] == resource_id
            and resource.get("active") == "true" and resource.get("failed") != "true"
            and resource.get("pending") in (None, "Monitoring")
            for node in resource.findall("node")}


@dataclass(frozen=True)
class Stack:
    """A promotable DRBD resource and the resources that serve on its Promoted node."""

    data: str
    services: tuple[str, ...]
    what: str       # for messages: "NFS", "MooseFS"

    def serving_node(self, cluster: VmCluster) -> str | None:
        """The node where data is Promoted and every service runs with it, if they all do."""
        promoted = [name for name, role in active_roles(cluster, self.data).items()
                    if role == "Promoted"]
        if len(promoted) != 1:
            return None
        expected = {promoted[0]: "Started"}
        return promoted[0] if all(active_roles(cluster, service) == expected
                                  for service in self.services) else None

    def wait_serving(self, cluster: VmCluster, timeout: float, on: str | None = None) -> str:
        """The node the stack settles on (`on`, if given)."""
        seen: list[str] = []

        def settled() -> bool:
            seen[:] = [self.serving_node(cluster) or ""]
            return bool(seen[0]) and (on is None or seen[0] == on)
        try:
            cluster.wait_for(settled, timeout,
                             f"{self.what} stack serving{f' on {on}' if on else ''}")
        except ClusterError as err:
            node = cluster.any_node()
            state = cluster.run(node, ["crm_mon", "-1", "--output-as=xml"], timeout=60).output
            raise ClusterError(f"{err}\n--- crm_mon on {node}:\n{state}") from None
        return seen[0]


class Writer:
    """fsync_writer.py on a node, writing into a mounted directory; reads its own log."""

    def __init__(self, cluster: VmCluster, name: str, directory: str,
                 keep_going: bool = False) -> None:
        self.cluster = cluster
        self.name = name
        self.directory = directory
        self.keep_going = keep_going

    def start(self) -> None:
        self.cluster.run(self.name, ["sh", "-c", 'exec setsid -f "$@" </dev/null '
                                     '>"$0" 2>&1', WRITER_OUTPUT, "/usr/bin/python3",
                                     "-I", WRITER, "write", self.directory, WRITER_LOG,
                                     WRITER_STOP, str(WRITE_INTERVAL),
                                     *(["keep-going"] if self.keep_going else [])], check=True)

    def acknowledged(self) -> list[tuple[int, float]]:
        """(file number, guest monotonic seconds) of every write acknowledged so far."""
        text = self.cluster.run(self.name, ["cat", WRITER_LOG]).stdout
        return [(int(words[0]), float(words[1])) for words in map(str.split, text.splitlines())
                if len(words) == 2]

    def failures(self) -> list[str]:
        """The files a keep-going writer reported as not written."""
        text = self.cluster.run(self.name, ["cat", WRITER_OUTPUT]).stdout
        return [line for line in text.splitlines() if " not written: " in line]

    def wait_acknowledged(self, count: int, timeout: float) -> None:
        try:
            self.cluster.wait_for(lambda: len(self.acknowledged()) >= count, timeout,
                                  f"{count} writes acknowledged on {self.name}", interval=0.5)
        except ClusterError as err:
            output = self.cluster.run(self.name, ["cat", WRITER_OUTPUT]).output
            raise ClusterError(f"{err}\n--- the writer's output:\n{output}") from None

    def stop(self, timeout: float = 60) -> None:
        self.cluster.run(self.name, ["touch", WRITER_STOP], check=True)
        self.cluster.wait_for(lambda: self.cluster.run(
            self.name, ["pgrep", "-f", WRITER]).rc != 0, timeout, "writer stopped")

    def verify(self, directory: str) -> dict:
        """{"checked": n, "bad": [...]}: every acknowledged file in `directory`, read back."""
        done = self.cluster.run(self.name, ["/usr/bin/python3", "-I", WRITER, "verify",
                                            directory, WRITER_LOG], check=True, timeout=300)
        return json.loads(done.stdout)


def longest_gap(acknowledged: list[tuple[int, float]]) -> float:
    stamps = [stamp for _, stamp in acknowledged]
    return max((later - earlier for earlier, later in zip(stamps, stamps[1:])), default=0.0)


@dataclass
class Failover:
    """What a power cut of the serving node did, as the cluster and the client saw it."""

    killed: str = ""
    survivor: str = ""
    stack_seconds: float = 0.0      # power cut -> stack serving on the survivor
    outage_seconds: float = 0.0     # the client's longest gap between acknowledged writes
    acknowledged_before: int = 0    # writes acknowledged before the cut
    acknowledged: int = 0           # all of them
    not_written: list[str] = field(default_factory=list)  # writes that failed (keep-going)
    fenced: list[str] = field(default_factory=list)     # nodes fenced after the cut
    primaries: list[str] = field(default_factory=list)  # DRBD Primaries at the end
    verified: dict[str, dict] = field(default_factory=dict)  # directory -> Writer.verify()

    def lost(self) -> int:
        return sum(len(view["bad"]) for view in self.verified.values())

    def assert_survived(self, directories: Sequence[str]) -> None:
        """Only the cut node fenced, one Primary (the survivor), writes going on after the cut,
        every acknowledged file intact in each of `directories`, and a stall the client saw (no
        stall would mean the cut missed the server it wrote through)."""
        assert self.fenced == [self.killed]
        assert self.primaries == [self.survivor]
        assert self.acknowledged > self.acknowledged_before + 9
        assert self.verified == {directory: {"checked": self.acknowledged, "bad": []}
                                 for directory in directories}
        assert self.outage_seconds > 2.0


def power_cut_while_writing(cluster: VmCluster, stack: Stack,
                           start_client: Callable[[str], Writer],
                           verify_in: Callable[[Writer], Sequence[str]] = lambda w: [w.directory],
                           say: Callable[[str], None] = lambda _: None,
                           timeout: float = 300) -> Failover:
    """Cut the serving node's power while the other node writes through the service address
    (`start_client(node)` mounts it there and returns the writer to run); wait until the
    survivor serves and the client's writes resume; read every acknowledged file back in each
    directory of `verify_in(writer)`."""
    result = Failover()
    result.killed = stack.wait_serving(cluster, timeout)
    result.survivor = next(name for name in cluster.names if name != result.killed)
    writer = start_client(result.survivor)
    say(f"{stack.what} served by {result.killed}; the client on {result.survivor} writes "
        f"numbered files into {writer.directory}, fsync'ing each")
    writer.start()
    writer.wait_acknowledged(10, 120)
    result.acknowledged_before = len(writer.acknowledged())
    say(f"{result.acknowledged_before} writes acknowledged; power cut: killing {result.killed}")
    cut = time.monotonic()
    cluster.kill(result.killed)
    stack.wait_serving(cluster, timeout, on=result.survivor)
    result.stack_seconds = time.monotonic() - cut
    say(f"{result.survivor} fenced {result.killed} and took over the {stack.what} stack "
        f"({', '.join((stack.data, *stack.services))}): {result.stack_seconds:.1f} s after the "
        f"cut")
    writer.wait_acknowledged(len(writer.acknowledged()) + 10, timeout)
    writer.stop()
    acknowledged = writer.acknowledged()
    result.acknowledged = len(acknowledged)
    result.outage_seconds = longest_gap(acknowledged)
    result.not_written = writer.failures()
    say(f"the client's writes resumed; {result.acknowledged} acknowledged in all, the longest "
        f"gap between two {result.outage_seconds:.1f} s"
        + (f", {len(result.not_written)} failed and retried as the next file"
           if result.not_written else ""))
    result.fenced = [node for at, _, node in cluster.fence_events if at >= cut]
    result.primaries = primaries(cluster)
    for directory in verify_in(writer):
        result.verified[directory] = writer.verify(directory)
        say(f"every acknowledged file read back in {directory}: "
            f"{len(result.verified[directory]['bad'])} bad")
    return result
