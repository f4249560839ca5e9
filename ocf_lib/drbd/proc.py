"""`/proc/drbd` (both versions) and DRBD 8.4's `drbdsetup sh-status`: the per-minor, `cs:`-based
sources.

With DRBD 9, /proc/drbd holds only the version line: read it to learn which state source to use.
With DRBD 8.4 it holds one line per minor, plus the (tab-indented) resync progress while syncing:

    version: 8.4.11 (api:1/proto:86-101)
    srcversion: F73C670A7EC572DB9CF3E5B
     0: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----
        ns:0 nr:7904 dw:7904 dr:0 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:57592
        [=>..................] sync'ed: 12.5% (57592/65496)K
        finish: 0:00:28 speed: 1,976 (1,976) want: 3,400 K/sec

8.4's `cs:` is DRBD 9's connection state and replication state in one word (`split_cstate`).
/proc/drbd does not name resources: `ProcDrbd.resource` takes the resource's minors.
"""

from __future__ import annotations

from ..record import record
from . import fields as f
from .state import (
    Connection,
    ConnectionState,
    Device,
    DrbdResource,
    PeerDevice,
    Presence,
    ReplicationState,
    Role,
    SuspendReason,
)

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Iterable

PROC_SOURCE = "/proc/drbd"
SH_STATUS_SOURCE = "sh-status"
UNCONFIGURED = "Unconfigured"   # 8.4 cs: of a minor that exists but is not set up

_REPLICATION_CSTATES = frozenset({
    ReplicationState.STARTING_SYNC_S, ReplicationState.STARTING_SYNC_T,
    ReplicationState.WF_BITMAP_S, ReplicationState.WF_BITMAP_T, ReplicationState.WF_SYNC_UUID,
    ReplicationState.SYNC_SOURCE, ReplicationState.SYNC_TARGET,
    ReplicationState.VERIFY_S, ReplicationState.VERIFY_T,
    ReplicationState.PAUSED_SYNC_S, ReplicationState.PAUSED_SYNC_T,
    ReplicationState.AHEAD, ReplicationState.BEHIND,
})
# 8.4 words for a connection being set up; DRBD 9 (and drbd-utils on 8.4) call it Connecting.
_CONNECTING_CSTATES = frozenset({"WFConnection", "WFReportParams"})


def split_cstate(cstate: str) -> tuple[str, str]:
    """DRBD 8.4 `cs:` → DRBD 9 (connection state, replication state).

    `Connected` → (Connected, Established); `SyncSource` → (Connected, SyncSource);
    `WFConnection` → (Connecting, Off); `StandAlone` → (StandAlone, Off).
    """
    if cstate == ConnectionState.CONNECTED:
        return ConnectionState.CONNECTED, ReplicationState.ESTABLISHED
    if cstate in _REPLICATION_CSTATES:
        return ConnectionState.CONNECTED, cstate
    if cstate in _CONNECTING_CSTATES:
        return ConnectionState.CONNECTING, ReplicationState.OFF
    return cstate, ReplicationState.OFF


@record
class MinorState84:
    """One minor in DRBD 8.4's words (`cs:`, `ro:`, `ds:`), from /proc/drbd or sh-status."""
    minor: int
    cstate: str
    role: str
    peer_role: str
    disk: str
    peer_disk: str
    suspended: tuple[str, ...] = ()
    resync_suspended: tuple[str, ...] = ()
    sync_percent: float | None = None
    out_of_sync_kib: int | None = None
    volume: int | None = None          # sh-status only
    resource: str | None = None        # sh-status only


@record
class ProcDrbd:
    loaded: bool
    version: str | None = None         # "8.4.11", "9.2.16"
    api: int | None = None
    proto: str | None = None           # protocol range, "86-101"
    minors: tuple[MinorState84, ...] = ()

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return _version_tuple(self.version or "")

    @property
    def is_drbd9(self) -> bool:
        return self.version_tuple[:1] >= (9,)

    def resource(self, name: str | None = None,
                 minors: Iterable[int] | None = None) -> DrbdResource:
        """DRBD 8.4: the resource made of these minors (all minors when None)."""
        if not self.loaded:
            return DrbdResource.absent(name, Presence.NOT_LOADED)
        if self.is_drbd9:
            raise ValueError(f"{PROC_SOURCE}: DRBD {self.version} lists no resources here; "
                             "read drbdsetup events2")
        wanted = None if minors is None else set(minors)
        return resource_from_minors(
            name, [m for m in self.minors if wanted is None or m.minor in wanted])


def _version_tuple(version: str) -> tuple[int, ...]:
    numbers = []
    for part in version.split("."):
        digits = ""
        for char in part:
            if char not in "0123456789":
                break
            digits += char
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def parse_proc_drbd(text: str | None) -> ProcDrbd:
    """None or empty text (no /proc/drbd) means the kernel module is not loaded."""
    if not text:
        return ProcDrbd(loaded=False)
    lines = text.splitlines()
    words = lines[0].split()
    if len(words) < 2 or words[0] != "version:" or len(_version_tuple(words[1])) < 2:
        raise ValueError(f"{PROC_SOURCE}: first line is not 'version: X.Y.Z': {lines[0][:60]!r}")
    api = proto = None
    if len(words) > 2 and words[2].startswith("(api:"):
        api_text, _, proto_text = words[2].strip("()").partition("/")
        api = f.integer(api_text.partition(":")[2], "api", PROC_SOURCE)
        proto = proto_text.partition(":")[2] or None
    minors: list[dict] = []
    for number, line in enumerate(lines[1:], 2):
        source = f"{PROC_SOURCE} line {number}"
        stripped = line.strip()
        head, _, rest = stripped.partition(":")
        if head.isdigit() and "cs:" in rest:   # " 0: cs:…"; minor 10 and up are not indented
            minors.append(_proc_minor_line(int(head), rest, source))
        elif line[:1].isspace() and minors and stripped:
            _proc_detail_line(minors[-1], stripped, source)
        # Anything else is header (srcversion:, GIT-hash:, Transports …).
    return ProcDrbd(loaded=True, version=words[1], api=api, proto=proto,
                    minors=tuple(MinorState84(**m) for m in minors if m["cstate"] != UNCONFIGURED))


def _proc_minor_line(minor: int, rest: str, source: str) -> dict:
    words = rest.split()
    values = f.key_values([w for w in words if ":" in w], source)
    bare = [w for w in words if ":" not in w]
    cstate = f.required(values, "cs", source)
    if cstate == UNCONFIGURED:
        return {"minor": minor, "cstate": cstate, "role": Role.UNKNOWN,
                "peer_role": Role.UNKNOWN, "disk": "", "peer_disk": ""}
    role, peer_role = _pair(values, "ro", source)
    disk, peer_disk = _pair(values, "ds", source)
    # The I/O flags: [r|s]uspended, then resync paused for a[fter] dependency, p[eer], u[ser].
    flags = bare[-1] if bare else ""
    if len(flags) < 4 or flags[0] not in "rs":
        raise ValueError(f"{source}: no I/O flags word (like r-----) after ds:")
    paused = ((SuspendReason.DEPENDENCY, flags[1] == "a"), (SuspendReason.PEER, flags[2] == "p"),
              (SuspendReason.USER, flags[3] == "u"))
    return {"minor": minor, "cstate": cstate, "role": role, "peer_role": peer_role,
            "disk": disk, "peer_disk": peer_disk,
            "suspended": (SuspendReason.UNKNOWN,) if flags[0] == "s" else (),
            "resync_suspended": tuple(reason for reason, on in paused if on)}


def _pair(values: dict[str, str], key: str, source: str) -> tuple[str, str]:
    local, slash, peer = f.required(values, key, source).partition("/")
    if not (slash and local and peer):
        raise ValueError(f"{source}: {key}:{values[key]} is not local/peer")
    return local, peer


def _proc_detail_line(minor: dict, stripped: str, source: str) -> None:
    words = stripped.split()
    if words[0].startswith("ns:"):
        minor["out_of_sync_kib"] = f.optional_integer(
            f.key_values([w for w in words if ":" in w], source), "oos", source)
        return
    for index, word in enumerate(words[:-1]):
        if word in ("sync'ed:", "verified:"):
            minor["sync_percent"] = f.percent(words[index + 1], word.rstrip(":"), source)
            return


def parse_sh_status(text: str) -> DrbdResource:
    """DRBD 8.4 `drbdsetup sh-status <minor|resource>`: shell assignments, one block per minor,
    each ended by `_sh_status_process`. A minor that is not set up says `_known=NA`."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped == "_sh_status_process":
            blocks.append(current)
            current = {}
        elif stripped.startswith("_"):
            key, equals, value = stripped.partition("=")
            if not equals:
                raise ValueError(f"{SH_STATUS_SOURCE} line {number}: {stripped[:40]!r} "
                                 "is not _key=value")
            current[key] = value.partition("#")[0].strip()
        elif stripped:
            raise ValueError(f"{SH_STATUS_SOURCE} line {number}: not sh-status output: "
                             f"{stripped[:40]!r}")
    if current or not blocks:
        raise ValueError(f"{SH_STATUS_SOURCE}: output does not end with _sh_status_process")
    minors = [_sh_status_minor(block) for block in blocks
              if block.get("_known") != "NA" and block.get("_cstate") != UNCONFIGURED]
    names = {m.resource for m in minors} or {blocks[0].get("_res_name") or None}
    if len(names) > 1:
        raise ValueError(f"{SH_STATUS_SOURCE}: minors of several resources: {sorted(names)}")
    return resource_from_minors(names.pop(), minors)


def _sh_status_minor(block: dict[str, str]) -> MinorState84:
    source = f"{SH_STATUS_SOURCE} minor {block.get('_minor', '?')}"
    percent = block.get("_resynced_percent")
    paused = ((SuspendReason.DEPENDENCY, "_flags_aftr_isp"),
              (SuspendReason.PEER, "_flags_peer_isp"), (SuspendReason.USER, "_flags_user_isp"))
    return MinorState84(
        minor=f.integer(f.required(block, "_minor", source), "_minor", source),
        cstate=f.required(block, "_cstate", source),
        role=f.required(block, "_role", source),
        peer_role=block.get("_peer") or Role.UNKNOWN,
        disk=f.required(block, "_disk", source),
        peer_disk=f.required(block, "_pdsk", source),
        suspended=(SuspendReason.USER,) if _flag(block, "_flags_susp") else (),
        resync_suspended=tuple(reason for reason, key in paused if _flag(block, key)),
        sync_percent=f.percent(percent, "_resynced_percent", source) if percent else None,
        volume=f.optional_integer(block, "_volume", source),
        resource=block.get("_res_name") or None)


def _flag(block: dict[str, str], key: str) -> bool:
    return block.get(key, "") not in ("", "0")


def resource_from_minors(name: str | None, minors: list[MinorState84]) -> DrbdResource:
    """The minors of one DRBD 8.4 resource as a DrbdResource; none means not configured."""
    if not minors:
        return DrbdResource.absent(name)
    devices, peer_devices, states = [], [], []
    for index, minor in enumerate(minors):
        volume = index if minor.volume is None else minor.volume
        connection_state, replication = split_cstate(minor.cstate)
        states.append(connection_state)
        devices.append(Device(volume=volume, minor=minor.minor, disk=minor.disk))
        peer_devices.append(PeerDevice(volume=volume, replication=replication,
                                       peer_disk=minor.peer_disk,
                                       resync_suspended=minor.resync_suspended,
                                       sync_percent=minor.sync_percent,
                                       out_of_sync_kib=minor.out_of_sync_kib))
    roles = [m.role for m in minors]
    peer_roles = [m.peer_role for m in minors]
    # 8.4 has one connection per resource; its minors differ only in their resync states.
    connection = Connection(
        name=None, peer_node_id=None,
        state=next((s for s in states if s != ConnectionState.CONNECTED), states[0]),
        peer_role=Role.PRIMARY if Role.PRIMARY in peer_roles else peer_roles[0],
        peer_devices=tuple(peer_devices))
    suspended = tuple(dict.fromkeys(r for m in minors for r in m.suspended))
    return DrbdResource(
        name=name if name is not None else minors[0].resource,
        role=Role.PRIMARY if Role.PRIMARY in roles else roles[0],
        suspended=suspended,
        devices=tuple(devices),
        connections=(connection,))


def with_proc_progress(resource: DrbdResource, proc: ProcDrbd) -> DrbdResource:
    """DRBD 8.4's events2 gives no resync progress: take it from /proc/drbd, by minor."""
    by_minor = {m.minor: m for m in proc.minors}
    minor_of = {d.volume: d.minor for d in resource.devices}
    connections = []
    for connection in resource.connections:
        peer_devices = []
        for pd in connection.peer_devices:
            minor = minor_of.get(pd.volume)
            found = None if minor is None else by_minor.get(minor)
            if found is not None and pd.sync_percent is None:
                pd = PeerDevice(pd.volume, pd.replication, pd.peer_disk, pd.peer_client,
                                pd.resync_suspended, found.sync_percent,
                                pd.out_of_sync_kib if pd.out_of_sync_kib is not None
                                else found.out_of_sync_kib)
            peer_devices.append(pd)
        connections.append(Connection(connection.name, connection.peer_node_id, connection.state,
                                      connection.peer_role, tuple(peer_devices)))
    return DrbdResource(resource.name, resource.presence, resource.role, resource.suspended,
                        resource.devices, tuple(connections), resource.node_id,
                        resource.may_promote, resource.promotion_score)
