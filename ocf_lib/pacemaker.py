"""The one place that talks to Pacemaker: clone meta attributes, notify data, promotion scores."""

from __future__ import annotations

from .codes import OCFError
from .commands import run_command
from .deadline import Deadline
from .environment import OcfEnvironment, parse_boolean
from .log import Logger
from .record import record
from .statefile import StateFile

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Mapping


# crm_attribute --promotion exists from this CRM feature set on (Pacemaker 2.1.0).
PROMOTION_OPTION_FEATURE_SET = (3, 10, 0)
# Pacemaker clears transient attributes when a node leaves the cluster, while /run survives a
# Pacemaker restart: an unchanged score is rewritten after this long anyway.
SCORE_CACHE_SECONDS = 300.0


def _meta_int(meta: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        text = meta.get(name)
        if text not in (None, ""):
            try:
                return int(text)
            except ValueError:
                return None
    return None


@record
class CloneMeta:
    """Clone and promotable meta attributes, as Pacemaker passes them to clone instances.

    Pacemaker 2.1 passes no `promotable` attribute: a promotable clone is recognised by
    `promoted_max` (or the legacy `master_max`), a clone by `clone_max`.
    """

    clone_max: int | None
    clone_node_max: int | None
    promoted_max: int | None
    promoted_node_max: int | None
    notify: bool
    globally_unique: bool

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> CloneMeta:
        def flag(name: str) -> bool:
            try:
                return parse_boolean(meta.get(name, "false"))
            except ValueError:
                return False

        return cls(
            clone_max=_meta_int(meta, "clone_max"),
            clone_node_max=_meta_int(meta, "clone_node_max"),
            promoted_max=_meta_int(meta, "promoted_max", "master_max"),
            promoted_node_max=_meta_int(meta, "promoted_node_max", "master_node_max"),
            notify=flag("notify"),
            globally_unique=flag("globally_unique"),
        )

    @property
    def is_clone(self) -> bool:
        return self.clone_max is not None

    @property
    def is_promotable(self) -> bool:
        return self.promoted_max is not None


@record
class NotifyPeer:
    resource: str
    uname: str


_NOTIFY_SETS = {
    # new name: legacy name (Pacemaker 2.1 passes both; older ones only the legacy)
    "start": None, "stop": None, "promote": None, "demote": None, "active": None,
    "promoted": "master", "unpromoted": "slave",
}


@record
class NotifyData:
    """Everything a `notify` call is told, in one typed object. Only valid inside notify."""

    type: str          # "pre" or "post"
    operation: str     # "start", "stop", "promote", "demote"
    sets: Mapping[str, tuple[NotifyPeer, ...]]
    available: tuple[str, ...]
    all: tuple[str, ...]

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> NotifyData:
        def words(key: str) -> list[str]:
            return meta.get(f"notify_{key}", "").split()

        sets: dict[str, tuple[NotifyPeer, ...]] = {}
        for name, legacy in _NOTIFY_SETS.items():
            resources, unames = words(f"{name}_resource"), words(f"{name}_uname")
            if legacy and not resources and not unames:
                resources, unames = words(f"{legacy}_resource"), words(f"{legacy}_uname")
            if len(unames) < len(resources):
                unames += [""] * (len(resources) - len(unames))
            sets[name] = tuple(NotifyPeer(r, u) for r, u in zip(resources, unames))
        return cls(
            type=meta.get("notify_type", ""),
            operation=meta.get("notify_operation", ""),
            sets=sets,
            available=tuple(words("available_uname")),
            all=tuple(words("all_uname")),
        )

    @property
    def key(self) -> str:
        """`post-promote`, `pre-start`, …"""
        return f"{self.type}-{self.operation}"

    def unames(self, set_name: str) -> tuple[str, ...]:
        return tuple(peer.uname for peer in self.sets[set_name])

    @property
    def promoted(self) -> tuple[str, ...]:
        return self.unames("promoted")

    @property
    def unpromoted(self) -> tuple[str, ...]:
        return self.unames("unpromoted")

    @property
    def promoting(self) -> tuple[str, ...]:
        return self.unames("promote")

    @property
    def demoting(self) -> tuple[str, ...]:
        return self.unames("demote")


def promotion_attribute_name(instance: str) -> str:
    """`master-<rsc>`, with the clone instance suffix (`:N`) dropped as crm_master does."""
    base, colon, number = instance.rpartition(":")
    return "master-" + (base if colon and number.isdigit() else instance)


class PromotionScore:
    """This node's promotion score for the resource (a transient node attribute).

    Writes are bounded by the deadline and skipped when the score has not changed (one
    crm_attribute call costs about one Python start-up).
    """

    def __init__(self, env: OcfEnvironment, agent_name: str, log: Logger) -> None:
        self.env = env
        self.log = log
        self.cache = StateFile(env.rsctmp, agent_name, env.instance, "score")

    def _base_argv(self) -> list[str]:
        if self.env.feature_set >= PROMOTION_OPTION_FEATURE_SET or not self.env.feature_set:
            return ["crm_attribute", "--promotion"]
        return ["crm_attribute", "--lifetime", "reboot",
                "--name", promotion_attribute_name(self.env.instance)]

    def set(self, score: int, deadline: Deadline, force: bool = False) -> bool:
        if not force and self._cached() == str(score):
            return True
        if self._run([*self._base_argv(), "--update", str(score)], deadline):
            self._remember(str(score))
            self.log.debug(f"promotion score set to {score}")
            return True
        return False

    def delete(self, deadline: Deadline, force: bool = False) -> bool:
        if not force and self._cached() == "":
            return True
        if self._run([*self._base_argv(), "--delete"], deadline):
            self._remember("")
            self.log.debug("promotion score deleted")
            return True
        return False

    def _cached(self) -> str | None:
        age = self.cache.age()
        if age is None or age > SCORE_CACHE_SECONDS:
            return None
        return self.cache.read()

    def _remember(self, text: str) -> None:
        try:
            self.cache.write(text)
        except OSError as err:
            self.log.debug(f"cannot cache the promotion score: {err}")

    def _run(self, argv: list[str], deadline: Deadline) -> bool:
        # crm_attribute can hang when the cluster is busy; it gets at most 10 s and never more
        # than the action has left.
        try:
            result = run_command(argv, deadline, self.log, max_seconds=10.0)
        except OCFError as err:
            self.log.error(f"cannot change the promotion score: {err.reason}")
            return False
        if not result.ok:
            self.log.error(f"cannot change the promotion score: {result.summary()}")
            self.cache.remove()
        return result.ok


class NodeAttribute:
    """A transient (reboot-lifetime) node attribute other nodes' agents can read.

    Used to share facts promotion depends on (a replica's GTID position, a metalogger's metadata
    version) so that every node's agent can compare itself with its peers.
    """

    def __init__(self, name: str, log: Logger) -> None:
        self.name = name
        self.log = log

    def set(self, value: str, deadline: Deadline, node: str | None = None) -> bool:
        return self._run(["--update", value], deadline, node) is not None

    def delete(self, deadline: Deadline, node: str | None = None) -> bool:
        return self._run(["--delete"], deadline, node) is not None

    def get(self, deadline: Deadline, node: str | None = None) -> str | None:
        """The value on `node` (default: this node), or None when unset or unreadable."""
        output = self._run(["--query", "--quiet"], deadline, node)
        return output.strip() or None if output is not None else None

    def all_values(self, deadline: Deadline) -> dict[str, str] | None:
        """{node: value} for every node that has the attribute, in one call (attrd_updater
        --all), or None when the cluster cannot be asked."""
        argv = ["attrd_updater", "--query", "--all", "--name", self.name]
        try:
            result = run_command(argv, deadline, self.log, max_seconds=10.0)
        except OCFError as err:
            self.log.error(f"attrd_updater {self.name}: {err.reason}")
            return None
        # Not ok also when no node ever had the attribute: nothing to compare with either.
        return parse_attrd_values(result.stdout) if result.ok else None

    def _run(self, extra: list[str], deadline: Deadline, node: str | None) -> str | None:
        argv = ["crm_attribute", "--lifetime", "reboot", "--name", self.name]
        if node:
            argv += ["--node", node]
        try:
            result = run_command([*argv, *extra], deadline, self.log, max_seconds=10.0)
        except OCFError as err:
            self.log.error(f"crm_attribute {self.name}: {err.reason}")
            return None
        if not result.ok:
            if "--query" not in extra:
                self.log.error(f"crm_attribute {self.name}: {result.summary()}")
            return None
        return result.stdout


def parse_attrd_values(text: str) -> dict[str, str]:
    """attrd_updater --query --all text output: lines of name="N" host="H" value="V". A node
    whose value was deleted is listed with value="" and left out here."""
    values = {}
    for line in text.splitlines():
        fields = {}
        for word in line.split('" '):
            key, equals, value = word.partition('="')
            if equals:
                fields[key.strip()] = value.rstrip('"')
        if fields.get("host") and fields.get("value"):
            values[fields["host"]] = fields["value"]
    return values
