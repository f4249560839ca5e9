"""One DRBD resource's state as a typed value, the same whichever tool it was read from.

DRBD 8.4 and 9 report through different tools and words (8.4's `cs:SyncSource` is a connection
state and a replication state at once; 9 splits them). Every parser in this package returns
`DrbdResource` in DRBD 9's vocabulary, and the agent decides from the derived properties here and
from `score.promotion_score`. States are plain strings, named by the constants below: a misspelt
constant is an AttributeError in a test, and an unknown state from a newer DRBD passes through
instead of failing a monitor.
"""

from __future__ import annotations

from ..record import record


class Role:
    PRIMARY = "Primary"
    SECONDARY = "Secondary"
    UNKNOWN = "Unknown"


class DiskState:
    DISKLESS = "Diskless"
    ATTACHING = "Attaching"
    DETACHING = "Detaching"
    FAILED = "Failed"
    NEGOTIATING = "Negotiating"
    INCONSISTENT = "Inconsistent"
    OUTDATED = "Outdated"
    UNKNOWN = "DUnknown"
    CONSISTENT = "Consistent"
    UP_TO_DATE = "UpToDate"


class ConnectionState:
    STANDALONE = "StandAlone"
    DISCONNECTING = "Disconnecting"
    UNCONNECTED = "Unconnected"
    TIMEOUT = "Timeout"
    BROKEN_PIPE = "BrokenPipe"
    NETWORK_FAILURE = "NetworkFailure"
    PROTOCOL_ERROR = "ProtocolError"
    TEAR_DOWN = "TearDown"
    CONNECTING = "Connecting"
    CONNECTED = "Connected"


class ReplicationState:
    OFF = "Off"
    ESTABLISHED = "Established"
    STARTING_SYNC_S = "StartingSyncS"
    STARTING_SYNC_T = "StartingSyncT"
    WF_BITMAP_S = "WFBitMapS"
    WF_BITMAP_T = "WFBitMapT"
    WF_SYNC_UUID = "WFSyncUUID"
    SYNC_SOURCE = "SyncSource"
    SYNC_TARGET = "SyncTarget"
    VERIFY_S = "VerifyS"
    VERIFY_T = "VerifyT"
    PAUSED_SYNC_S = "PausedSyncS"
    PAUSED_SYNC_T = "PausedSyncT"
    AHEAD = "Ahead"
    BEHIND = "Behind"


class SuspendReason:
    """Why I/O (`suspended:`) or a resync (`resync-suspended:`) is held."""
    USER = "user"
    NO_DATA = "no-data"
    FENCING = "fencing"
    QUORUM = "quorum"
    PEER = "peer"              # resync paused by the peer
    DEPENDENCY = "dependency"  # resync waits for another resource (resync-after)
    UNKNOWN = "unknown"        # /proc/drbd 8.4 says suspended, not why


class Presence:
    CONFIGURED = "configured"
    NOT_CONFIGURED = "not configured"  # module loaded, resource down (or never brought up)
    NOT_LOADED = "not loaded"          # no /proc/drbd: the kernel module is not loaded


# Every state a resync passes through, from the bitmap exchange to a paused sync.
RESYNC_STATES = frozenset({
    ReplicationState.STARTING_SYNC_S, ReplicationState.STARTING_SYNC_T,
    ReplicationState.WF_BITMAP_S, ReplicationState.WF_BITMAP_T, ReplicationState.WF_SYNC_UUID,
    ReplicationState.SYNC_SOURCE, ReplicationState.SYNC_TARGET,
    ReplicationState.PAUSED_SYNC_S, ReplicationState.PAUSED_SYNC_T,
})
# Local disk states the promotion policy waits out instead of judging (ocf:linbit:drbd).
TRANSITIONAL_DISK_STATES = frozenset({DiskState.ATTACHING, DiskState.NEGOTIATING})


@record
class Device:
    """A local volume: `/dev/drbd<minor>` and the state of its backing disk."""
    volume: int
    minor: int | None
    disk: str
    client: bool | None = None   # intentionally diskless (DRBD 9); None: the source does not say
    quorum: bool | None = None   # DRBD 9; None: the source does not say (8.4 has no quorum)


@record
class PeerDevice:
    """One volume as seen over one connection."""
    volume: int
    replication: str
    peer_disk: str
    peer_client: bool | None = None
    resync_suspended: tuple[str, ...] = ()    # SuspendReason values; empty: not suspended
    sync_percent: float | None = None         # resync progress, as the source measures it
    # (DRBD 9's done: is the resync's progress; 8.4's status text done: is the in-sync share of
    # the device, its /proc/drbd and sh-status yet another figure: compare within one source.)
    out_of_sync_kib: int | None = None

    @property
    def resyncing(self) -> bool:
        return self.replication in RESYNC_STATES


@record
class Connection:
    name: str | None          # the peer's name (DRBD 8.4: "peer", or nothing when StandAlone)
    peer_node_id: int | None
    state: str
    peer_role: str
    peer_devices: tuple[PeerDevice, ...] = ()

    @property
    def connected(self) -> bool:
        return self.state == ConnectionState.CONNECTED

    @property
    def peer_is_client(self) -> bool:
        """The peer is an intentionally diskless client on every volume."""
        return bool(self.peer_devices) and all(pd.peer_client for pd in self.peer_devices)

    @property
    def label(self) -> str:
        """How messages name the peer: "peer bravo"; DRBD 8.4 calls every peer just "peer"."""
        return f"peer {self.name}" if self.name and self.name != "peer" else "the peer"


@record
class DrbdResource:
    """A resource as one source saw it; `presence` says whether there is anything to see."""
    name: str | None          # None: the source does not carry it (/proc/drbd 8.4)
    presence: str = Presence.CONFIGURED
    role: str = Role.UNKNOWN
    suspended: tuple[str, ...] = ()   # SuspendReason values; empty: I/O is not suspended
    devices: tuple[Device, ...] = ()
    connections: tuple[Connection, ...] = ()
    node_id: int | None = None
    may_promote: bool | None = None     # DRBD 9 events2 only
    promotion_score: int | None = None  # DRBD's own score (DRBD 9 events2), not Pacemaker's

    @classmethod
    def absent(cls, name: str | None, presence: str = Presence.NOT_CONFIGURED) -> DrbdResource:
        return cls(name, presence=presence)

    @property
    def configured(self) -> bool:
        return self.presence == Presence.CONFIGURED

    @property
    def is_primary(self) -> bool:
        return self.role == Role.PRIMARY

    @property
    def all_local_up_to_date(self) -> bool:
        return bool(self.devices) and all(d.disk == DiskState.UP_TO_DATE for d in self.devices)

    @property
    def all_local_consistent(self) -> bool:
        """Every local disk holds consistent data, though maybe not the newest."""
        usable = (DiskState.UP_TO_DATE, DiskState.CONSISTENT)
        return bool(self.devices) and all(d.disk in usable for d in self.devices)

    @property
    def transitional(self) -> bool:
        return any(d.disk in TRANSITIONAL_DISK_STATES for d in self.devices)

    @property
    def diskless_client(self) -> bool:
        """Intentionally diskless on every volume: reads and writes go to the peers."""
        return bool(self.devices) and all(
            d.disk == DiskState.DISKLESS and d.client for d in self.devices)

    @property
    def quorum_lost(self) -> bool:
        return any(d.quorum is False for d in self.devices)

    @property
    def connected(self) -> bool:
        """Every connection is up (and there is one)."""
        return bool(self.connections) and all(c.connected for c in self.connections)

    @property
    def peer_primary(self) -> Connection | None:
        return next((c for c in self.connections if c.peer_role == Role.PRIMARY), None)

    def _peer_disks(self, connection: Connection) -> list[str]:
        """The peer's disk state for each local volume; DUnknown where the source has none."""
        by_volume = {pd.volume: pd.peer_disk for pd in connection.peer_devices}
        volumes = [d.volume for d in self.devices] or list(by_volume)
        return [by_volume.get(volume, DiskState.UNKNOWN) for volume in volumes]

    def _data_peers(self) -> list[Connection]:
        # A diskless client peer holds no data: ocf:linbit:drbd ignores it when judging peers.
        return [c for c in self.connections if not c.peer_is_client]

    def up_to_date_peer(self) -> Connection | None:
        """A peer whose disks are all UpToDate."""
        for connection in self._data_peers():
            disks = self._peer_disks(connection)
            if disks and all(disk == DiskState.UP_TO_DATE for disk in disks):
                return connection
        return None

    @property
    def any_peer_up_to_date(self) -> bool:
        return self.up_to_date_peer() is not None

    @property
    def all_peers_up_to_date(self) -> bool:
        peers = self._data_peers()
        return bool(peers) and all(
            all(disk == DiskState.UP_TO_DATE for disk in self._peer_disks(c)) for c in peers)

    @property
    def peer_disk_unknown(self) -> bool:
        return any(DiskState.UNKNOWN in self._peer_disks(c) for c in self._data_peers())

    def healthy_primary_peer(self) -> Connection | None:
        """A connected peer in Primary role with all its disks UpToDate."""
        for connection in self._data_peers():
            if connection.connected and connection.peer_role == Role.PRIMARY and all(
                    disk == DiskState.UP_TO_DATE for disk in self._peer_disks(connection)):
                return connection
        return None

    @property
    def resyncing(self) -> bool:
        return any(pd.resyncing for c in self.connections for pd in c.peer_devices)

    @property
    def resync_percent(self) -> float | None:
        """The least-advanced resync's progress, where the source gives one."""
        done = [pd.sync_percent for c in self.connections for pd in c.peer_devices
                if pd.resyncing and pd.sync_percent is not None]
        return min(done) if done else None

    def degraded_reason(self) -> str | None:
        """None when fully redundant; else the most important thing missing, as one sentence."""
        if not self.configured:
            return f"DRBD resource {self.name} is {self.presence}" if self.name else (
                f"DRBD is {self.presence}")
        if self.quorum_lost:
            return "quorum lost"
        if self.suspended:
            return f"I/O suspended ({', '.join(self.suspended)})"
        several = len(self.devices) > 1
        if not self.diskless_client:
            for device in self.devices:
                if device.disk in (DiskState.DISKLESS, DiskState.FAILED, DiskState.DETACHING):
                    where = f"volume {device.volume}: " if several else ""
                    return f"{where}local disk is {device.disk}"
        if not self.connections:
            return "no connection to any peer"
        for connection in self.connections:
            if not connection.connected:
                return f"{connection.label} is disconnected ({connection.state})"
        for connection in self.connections:
            for pd in connection.peer_devices:
                if not pd.resyncing:
                    continue
                progress = "" if pd.sync_percent is None else f", {pd.sync_percent:g}% done"
                paused = (f", paused ({', '.join(pd.resync_suspended)})"
                          if pd.resync_suspended else "")
                where = f"volume {pd.volume}, " if several else ""
                return (f"resync in progress with {connection.label} "
                        f"({where}{pd.replication}{progress}{paused})")
        if not self.diskless_client:
            for device in self.devices:
                if device.disk != DiskState.UP_TO_DATE:
                    where = f"volume {device.volume}: " if several else ""
                    return f"{where}local disk is {device.disk}"
        for connection in self._data_peers():
            for volume, disk in zip([d.volume for d in self.devices],
                                    self._peer_disks(connection)):
                if disk != DiskState.UP_TO_DATE:
                    where = f" on volume {volume}" if several else ""
                    return f"{connection.label} disk is {disk}{where}"
        return None
