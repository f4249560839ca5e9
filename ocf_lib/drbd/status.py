"""`drbdadm status` / `drbdsetup status [--verbose] [--statistics]` text, and (DRBD 9 only)
`drbdsetup status --json`.

The text nests by indentation: the resource at column 0, its devices and connections at 2, a
connection's peer devices at 4; anything deeper (or at 4 right under the resource) continues the
line above, which drbdsetup wraps at 80 columns:

    r0 role:Primary
      disk:UpToDate
      bravo role:Secondary
        replication:PausedSyncS peer-disk:Inconsistent done:62.64
            resync-suspended:user

Without --verbose, words that hold their usual value are left out, so their absence means:
`connection:Connected`, `replication:Established`, `resync-suspended:no`. DRBD 9 also omits a
peer that is not connected's peer-device lines (here: replication Off, peer disk DUnknown), and
DRBD 8.4 omits a StandAlone peer altogether — so 8.4's text cannot tell "StandAlone" from "no
peer"; read events2 for the promotion decision.
"""

from __future__ import annotations

from . import fields as f
from .state import (
    Connection,
    ConnectionState,
    Device,
    DiskState,
    DrbdResource,
    PeerDevice,
    ReplicationState,
    Role,
    SuspendReason,
)

TEXT_SOURCE = "status text"
JSON_SOURCE = "status --json"


class _Node:
    def __init__(self, head: str | None, values: dict[str, str]) -> None:
        self.head = head
        self.fields = values
        self.devices: list[dict[str, str]] = []
        self.connections: list[_Node] = []
        self.peer_devices: list[dict[str, str]] = []


def parse_status_text(text: str) -> tuple[DrbdResource, ...]:
    """Every resource in the output; `()` for none ("# No currently configured DRBD found.")."""
    resources: list[_Node] = []
    resource: _Node | None = None
    connection: _Node | None = None
    last: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        source = f"{TEXT_SOURCE} line {number}"
        if stripped[0].isspace():
            raise ValueError(f"{source}: tab in the indentation")
        indent = len(line) - len(stripped)
        words = stripped.split()
        if indent == 0:
            if ":" in words[0]:
                raise ValueError(f"{source}: a resource line starts with its name, "
                                 f"not {words[0]!r}")
            resource = _Node(words[0], f.key_values(words[1:], source))
            resources.append(resource)
            connection, last = None, resource.fields
        elif resource is None:
            raise ValueError(f"{source}: indented line before any resource")
        elif indent == 2 and ":" in words[0]:
            last, connection = f.key_values(words, source), None
            resource.devices.append(last)
        elif indent == 2:
            connection = _Node(words[0], f.key_values(words[1:], source))
            resource.connections.append(connection)
            last = connection.fields
        elif indent == 4 and connection is not None:
            last = f.key_values(words, source)
            connection.peer_devices.append(last)
        elif indent >= 4:
            last.update(f.key_values(words, source))
        else:
            raise ValueError(f"{source}: unexpected indentation of {indent} spaces")
    return tuple(_text_resource(node) for node in resources)


def _text_resource(node: _Node) -> DrbdResource:
    name = node.head or ""
    source = f"{TEXT_SOURCE} resource {name}"
    devices = tuple(
        Device(volume=_volume(values, index, source),
               minor=f.optional_integer(values, "minor", source),
               disk=f.required(values, "disk", source),
               client=f.optional_yes_no(values, "client", source),
               quorum=f.optional_yes_no(values, "quorum", source))
        for index, values in enumerate(node.devices))
    connections = []
    for peer in node.connections:
        peer_source = f"{source} peer {peer.head}"
        state = peer.fields.get("connection", ConnectionState.CONNECTED)
        connected = state == ConnectionState.CONNECTED
        peer_devices = tuple(
            _text_peer_device(values, devices, index, connected, peer_source)
            for index, values in enumerate(peer.peer_devices))
        if not peer_devices and not connected:
            peer_devices = tuple(
                PeerDevice(d.volume, ReplicationState.OFF, DiskState.UNKNOWN) for d in devices)
        connections.append(Connection(
            name=peer.head,
            peer_node_id=f.optional_integer(peer.fields, "node-id", peer_source),
            state=state,
            peer_role=peer.fields.get("role", Role.UNKNOWN),
            peer_devices=peer_devices))
    values = node.fields
    score = values.get("promotion_score")
    return DrbdResource(
        name=name,
        role=f.required(values, "role", source),
        suspended=f.reasons(values.get("suspended")),
        devices=devices,
        connections=tuple(connections),
        node_id=f.optional_integer(values, "node-id", source),
        may_promote=f.optional_yes_no(values, "may_promote", source),
        promotion_score=None if score is None else f.integer(score, "promotion_score", source))


def _volume(values: dict[str, str], index: int, source: str) -> int:
    # A single-volume resource's lines carry no volume: without --verbose.
    volume = values.get("volume")
    return index if volume is None else f.integer(volume, "volume", source)


def _text_peer_device(values: dict[str, str], devices: tuple[Device, ...], index: int,
                      connected: bool, source: str) -> PeerDevice:
    default_volume = devices[index].volume if index < len(devices) else index
    volume = values.get("volume")
    default_replication = ReplicationState.ESTABLISHED if connected else ReplicationState.OFF
    return PeerDevice(
        volume=default_volume if volume is None else f.integer(volume, "volume", source),
        replication=values.get("replication", default_replication),
        peer_disk=values.get("peer-disk", DiskState.UNKNOWN),
        peer_client=f.optional_yes_no(values, "peer-client", source),
        resync_suspended=f.reasons(values.get("resync-suspended")),
        sync_percent=f.optional_percent(values, "done", source),
        out_of_sync_kib=f.optional_integer(values, "out-of-sync", source))


def parse_status_json(text: str) -> tuple[DrbdResource, ...]:
    """DRBD 9's hand-printed JSON; `()` for empty output (no such resource, exit code 10).

    DRBD 8.4 rejects --json (exit code 20, usage on stdout): that text is a ValueError here.
    """
    if not text.strip():
        return ()
    import json  # only this source needs it; a monitor reading events2 never pays for it

    try:
        data = json.loads(text)
    except ValueError as error:
        first = text.strip().splitlines()[0][:40]
        raise ValueError(f"{JSON_SOURCE}: not JSON (starts {first!r}): {error}") from None
    if not isinstance(data, list):
        raise ValueError(f"{JSON_SOURCE}: expected a list of resources, got {type(data).__name__}")
    return tuple(_json_resource(item, index) for index, item in enumerate(data))


def _get(obj: object, key: str, kind: type | tuple[type, ...], source: str,
         default: object = ...) -> object:
    if not isinstance(obj, dict):
        raise ValueError(f"{source}: expected an object, got {type(obj).__name__}")
    if key not in obj:
        if default is ...:
            raise ValueError(f"{source}: no {key!r}")
        return default
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int subclass: never accept true/false where a number belongs.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise ValueError(f"{source}: {key!r} is {value!r}")
    return value


def _json_resource(item: object, index: int) -> DrbdResource:
    source = f"{JSON_SOURCE} resource {index}"
    name = _get(item, "name", str, source)
    source = f"{JSON_SOURCE} resource {name}"
    suspended = tuple(reason for reason in (SuspendReason.USER, SuspendReason.NO_DATA,
                                            SuspendReason.FENCING, SuspendReason.QUORUM)
                      if _get(item, f"suspended-{reason}", bool, source, False))
    if not suspended and _get(item, "suspended", bool, source, False):
        suspended = (SuspendReason.UNKNOWN,)
    devices = tuple(_json_device(d, source) for d in _get(item, "devices", list, source, []))
    connections = tuple(_json_connection(c, source)
                        for c in _get(item, "connections", list, source, []))
    return DrbdResource(
        name=name,
        role=_get(item, "role", str, source),
        suspended=suspended,
        devices=devices,
        connections=connections,
        node_id=_get(item, "node-id", int, source, None))


def _json_device(item: object, source: str) -> Device:
    return Device(volume=_get(item, "volume", int, source),
                  minor=_get(item, "minor", int, source, None),
                  disk=_get(item, "disk-state", str, source),
                  client=_get(item, "client", bool, source, None),
                  quorum=_get(item, "quorum", bool, source, None))


def _json_connection(item: object, source: str) -> Connection:
    peer_node_id = _get(item, "peer-node-id", int, source)
    source = f"{source} peer node {peer_node_id}"
    peer_devices = tuple(_json_peer_device(pd, source)
                         for pd in _get(item, "peer_devices", list, source, []))
    return Connection(name=_get(item, "name", str, source, None),
                      peer_node_id=peer_node_id,
                      state=_get(item, "connection-state", str, source),
                      peer_role=_get(item, "peer-role", str, source, Role.UNKNOWN),
                      peer_devices=peer_devices)


def _json_peer_device(item: object, source: str) -> PeerDevice:
    done = _get(item, "percent-resync-done", (int, float), source, None)
    return PeerDevice(
        volume=_get(item, "volume", int, source),
        replication=_get(item, "replication-state", str, source),
        peer_disk=_get(item, "peer-disk-state", str, source),
        peer_client=_get(item, "peer-client", bool, source, None),
        resync_suspended=f.reasons(_get(item, "resync-suspended", str, source, "no")),
        sync_percent=None if done is None else float(done),
        out_of_sync_kib=_get(item, "out-of-sync", int, source, None))
