"""`drbdsetup events2 --now [--statistics]`: the state source for both DRBD 8.4 and 9.

One line per object, `exists <object> name:<resource> key:value…`, closed by `exists -`:

    exists resource name:r0 role:Secondary suspended:no … may_promote:no promotion_score:0
    exists connection name:r0 peer-node-id:1 conn-name:bravo connection:Connected role:Secondary
    exists device name:r0 volume:0 minor:0 backing_dev:/dev/vda disk:Inconsistent client:no …
    exists peer-device name:r0 peer-node-id:1 conn-name:bravo volume:0 replication:Established …
    exists -

DRBD 8.4 (drbd-utils 9 runs drbdsetup-84) prints the same shape with fewer keys: no client,
quorum, peer-client, may_promote or promotion_score, no `done:` while resyncing, and no
`conn-name:` on a StandAlone connection. `create`/`change`/`destroy` lines (events2 without
`--now`) are applied in order, so a captured stream parses too.
"""

from __future__ import annotations

from . import fields as f
from .state import Connection, Device, DrbdResource, PeerDevice, Role

SOURCE = "events2"
_UPDATES = ("exists", "create", "change")
_IGNORED_VERBS = ("call", "response")     # helper invocations (fence-peer …)
_IGNORED_OBJECTS = ("path",)


class _Resource:
    """One resource's fields while lines arrive, keyed like DRBD keys its objects."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.devices: dict[int, dict[str, str]] = {}
        self.connections: dict[int, dict[str, str]] = {}
        self.peer_devices: dict[tuple[int, int], dict[str, str]] = {}


def parse_events2(text: str) -> tuple[DrbdResource, ...]:
    """Every resource in the output; `()` when none is configured (just `exists -`)."""
    resources: dict[str, _Resource] = {}
    finished = False
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words:
            continue
        source = f"{SOURCE} line {number}"
        verb = words[0]
        if verb in _IGNORED_VERBS:
            continue
        if verb not in (*_UPDATES, "destroy") or len(words) < 2:
            raise ValueError(f"{source}: not an events2 line: {line.strip()[:60]!r}")
        if words[1] == "-":
            finished = True
            continue
        _apply(resources, verb, words[1], f.key_values(words[2:], source), source)
    if not finished:
        raise ValueError(f"{SOURCE}: output ends without 'exists -' (truncated or not --now)")
    return tuple(_build(name, resource) for name, resource in resources.items())


def _apply(resources: dict[str, _Resource], verb: str, kind: str, values: dict[str, str],
           source: str) -> None:
    if kind in _IGNORED_OBJECTS:
        return
    name = f.required(values, "name", source)
    if kind == "resource":
        if verb == "destroy":
            resources.pop(name, None)
        else:
            resources.setdefault(name, _Resource()).fields.update(values)
        return
    resource = resources.get(name)
    if resource is None:
        raise ValueError(f"{source}: {kind} of resource {name!r} before the resource itself")
    table: dict
    if kind == "device":
        table, key = resource.devices, f.integer(f.required(values, "volume", source),
                                                 "volume", source)
    elif kind == "connection":
        table, key = resource.connections, _peer_node_id(values, source)
    elif kind == "peer-device":
        volume = f.integer(f.required(values, "volume", source), "volume", source)
        table, key = resource.peer_devices, (_peer_node_id(values, source), volume)
    else:
        raise ValueError(f"{source}: unknown events2 object {kind!r}")
    if verb == "destroy":
        table.pop(key, None)
    else:
        table.setdefault(key, {}).update(values)


def _peer_node_id(values: dict[str, str], source: str) -> int:
    return f.integer(f.required(values, "peer-node-id", source), "peer-node-id", source)


def _build(name: str, resource: _Resource) -> DrbdResource:
    source = f"{SOURCE} resource {name}"
    top = resource.fields
    devices = tuple(
        Device(volume=volume,
               minor=f.optional_integer(values, "minor", source),
               disk=f.required(values, "disk", f"{source} volume {volume}"),
               client=f.optional_yes_no(values, "client", source),
               quorum=f.optional_yes_no(values, "quorum", source))
        for volume, values in sorted(resource.devices.items()))
    for peer_id, volume in resource.peer_devices:
        if peer_id not in resource.connections:
            raise ValueError(f"{source}: peer-device volume {volume} of peer node {peer_id} "
                             "without its connection")
    connections = []
    for peer_id, values in sorted(resource.connections.items()):
        peer_devices = tuple(
            _peer_device(volume, pd_values, f"{source} peer node {peer_id}")
            for (pd_peer, volume), pd_values in sorted(resource.peer_devices.items())
            if pd_peer == peer_id)
        connections.append(Connection(
            name=values.get("conn-name"),
            peer_node_id=peer_id,
            state=f.required(values, "connection", f"{source} peer node {peer_id}"),
            peer_role=values.get("role", Role.UNKNOWN),
            peer_devices=peer_devices))
    score = top.get("promotion_score")
    return DrbdResource(
        name=name,
        role=f.required(top, "role", source),
        suspended=f.reasons(top.get("suspended")),
        devices=devices,
        connections=tuple(connections),
        may_promote=f.optional_yes_no(top, "may_promote", source),
        promotion_score=None if score is None else f.integer(score, "promotion_score", source))


def _peer_device(volume: int, values: dict[str, str], source: str) -> PeerDevice:
    return PeerDevice(
        volume=volume,
        replication=f.required(values, "replication", source),
        peer_disk=f.required(values, "peer-disk", source),
        peer_client=f.optional_yes_no(values, "peer-client", source),
        resync_suspended=f.reasons(values.get("resync-suspended")),
        sync_percent=f.optional_percent(values, "done", source),
        out_of_sync_kib=f.optional_integer(values, "out-of-sync", source))
