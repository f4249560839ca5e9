"""ocf_lib.drbd parsers, source by source: the details the sample sweep in test_drbd_state does
not pin (progress, pauses, DRBD 9's extra fields, versions), states no capture holds (several
volumes and peers, lost quorum, event streams), and bad input, which must be a ValueError."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocf_lib.drbd import (
    ConnectionState,
    DiskState,
    DrbdResource,
    Presence,
    ReplicationState,
    Role,
    SuspendReason,
    find_resource,
    parse_events2,
    parse_proc_drbd,
    parse_sh_status,
    parse_status_json,
    parse_status_text,
    split_cstate,
)
from tests.unit.test_drbd_state import DATA, read_sample

pytestmark = pytest.mark.unit

PROC = "cat /proc/drbd"
STATUS = "drbdadm status r0"
VERBOSE = "drbdsetup status r0 --verbose --statistics"
EVENTS = "drbdsetup events2 --now r0"
EVENTS_STATISTICS = "drbdsetup events2 --now --statistics r0"
JSON = "drbdsetup status --json r0"
SH_STATUS = "drbdsetup sh-status 0"


def sample(version: str, prefix: str, node: str = "alpha") -> dict:
    path = next((DATA / version).glob(f"{prefix}-*-{node}.txt"))
    return {command: capture.stdout for command, capture in read_sample(path).items()}


def r0(parser: Callable[[str], tuple[DrbdResource, ...]], text: str) -> DrbdResource:
    return find_resource(parser(text), "r0")


def only_peer_device(state: DrbdResource):
    (connection,) = state.connections
    (peer_device,) = connection.peer_devices
    return peer_device


# --- /proc/drbd ---------------------------------------------------------------------------------

def test_proc_drbd_84_gives_version_and_minor_state() -> None:
    proc = parse_proc_drbd(sample("drbd84", "02")[PROC])
    assert (proc.version, proc.version_tuple, proc.api, proc.proto) == (
        "8.4.11", (8, 4, 11), 1, "86-101")
    assert proc.loaded and not proc.is_drbd9
    (minor,) = proc.minors
    assert (minor.minor, minor.cstate, minor.role, minor.peer_role) == (
        0, "Connected", Role.SECONDARY, Role.SECONDARY)
    assert (minor.disk, minor.peer_disk) == (DiskState.INCONSISTENT, DiskState.INCONSISTENT)
    assert minor.out_of_sync_kib == 65496 and minor.sync_percent is None


def test_proc_drbd_9_gives_only_the_version() -> None:
    proc = parse_proc_drbd(sample("drbd9", "04")[PROC])
    assert (proc.version, proc.api, proc.proto, proc.minors) == ("9.2.16", 2, "118-123", ())
    assert proc.is_drbd9
    with pytest.raises(ValueError, match="events2"):
        proc.resource("r0")
    # No transport loaded yet: "Transports (api:21):" ends the file.
    assert parse_proc_drbd(sample("drbd9", "01")[PROC]).version == "9.2.16"


def test_missing_proc_drbd_means_module_not_loaded() -> None:
    for text in (None, ""):
        proc = parse_proc_drbd(text)
        assert not proc.loaded
        assert proc.resource("r0").presence == Presence.NOT_LOADED


def test_proc_drbd_without_minors_means_not_configured() -> None:
    state = parse_proc_drbd(sample("drbd84", "20")[PROC]).resource("r0")
    assert state.presence == Presence.NOT_CONFIGURED and state.name == "r0"


def test_proc_drbd_skips_unconfigured_minors_and_reads_unindented_ones() -> None:
    text = ("version: 8.4.11 (api:1/proto:86-101)\n"
            " 1: cs:Unconfigured\n"
            "10: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
            "    ns:0 nr:0 dw:0 dr:0 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n")
    proc = parse_proc_drbd(text)
    assert [m.minor for m in proc.minors] == [10]
    assert proc.resource("r0", minors=[10]).is_primary
    assert not proc.resource("r0", minors=[1]).configured


def test_primary_that_lost_its_disk_reads_as_diskless_primary() -> None:
    # refusals.txt: `drbdadm detach` on the mounted Primary, then /proc/drbd.
    out = read_sample(DATA / "drbd84" / "refusals.txt")[
        "drbdadm detach r0; echo rc=$?; cat /proc/drbd; drbdadm attach r0; echo attach_rc=$?"]
    text = "".join(line + "\n" for line in out.stdout.splitlines() if "rc=" not in line)
    state = parse_proc_drbd(text).resource("r0")
    assert state.is_primary and state.devices[0].disk == DiskState.DISKLESS
    assert state.any_peer_up_to_date and not state.diskless_client


@pytest.mark.parametrize(("cstate", "connection", "replication"), [
    ("Connected", ConnectionState.CONNECTED, ReplicationState.ESTABLISHED),
    ("SyncSource", ConnectionState.CONNECTED, ReplicationState.SYNC_SOURCE),
    ("PausedSyncT", ConnectionState.CONNECTED, ReplicationState.PAUSED_SYNC_T),
    ("WFSyncUUID", ConnectionState.CONNECTED, ReplicationState.WF_SYNC_UUID),
    ("WFConnection", ConnectionState.CONNECTING, ReplicationState.OFF),
    ("WFReportParams", ConnectionState.CONNECTING, ReplicationState.OFF),
    ("StandAlone", ConnectionState.STANDALONE, ReplicationState.OFF),
    ("Disconnecting", ConnectionState.DISCONNECTING, ReplicationState.OFF),
])
def test_drbd84_cstate_splits_into_connection_and_replication(
        cstate: str, connection: str, replication: str) -> None:
    assert split_cstate(cstate) == (connection, replication)


# --- resync progress and pauses -----------------------------------------------------------------

# The tools measure differently: /proc/drbd's "sync'ed" and sh-status's _resynced_percent are
# the resync's progress; 8.4's status text `done:` is the share of the device in sync (87.45 =
# 1 − 8220/65496 in 10). Each command also ran a moment after the previous one.
PROGRESS_84 = {  # prefix-node: (/proc/drbd, status, status --verbose, sh-status)
    "03-alpha": (6.3, 1.71, 3.49, 12.5),
    "03-bravo": (12.5, 25.92, 32.83, 62.5),
    "09-alpha": (None, 64.02, 65.74, 42.9),    # /proc/drbd still in WFSyncUUID: no bar yet
    "09-bravo": (42.9, 93.72, 100.0, None),    # sh-status ran after the resync had finished
    "10-alpha": (None, 87.45, 87.45, 33.4),    # paused: /proc/drbd prints no bar
    "10-bravo": (None, 87.45, 87.45, 33.4),
    "13-alpha": (7.7, 21.40, 22.83, 15.4),
    "13-bravo": (23.1, 43.14, 49.05, 61.6),
}


@pytest.mark.parametrize("case", sorted(PROGRESS_84))
def test_drbd84_resync_progress_is_read_from_each_source(case: str) -> None:
    prefix, node = case.split("-")
    out = sample("drbd84", prefix, node)
    seen = (
        only_peer_device(parse_proc_drbd(out[PROC]).resource("r0")).sync_percent,
        only_peer_device(r0(parse_status_text, out[STATUS])).sync_percent,
        only_peer_device(r0(parse_status_text, out[VERBOSE])).sync_percent,
        only_peer_device(parse_sh_status(out[SH_STATUS])).sync_percent,
    )
    assert seen == PROGRESS_84[case]
    # DRBD 8.4's events2 never says how far a resync is.
    assert only_peer_device(r0(parse_events2, out[EVENTS_STATISTICS])).sync_percent is None


def test_out_of_sync_amount_is_read_where_given() -> None:
    out = sample("drbd84", "03")
    assert only_peer_device(parse_proc_drbd(out[PROC]).resource("r0")).out_of_sync_kib == 65496
    assert only_peer_device(r0(parse_status_text, out[VERBOSE])).out_of_sync_kib == 63212
    assert only_peer_device(r0(parse_events2, out[EVENTS_STATISTICS])).out_of_sync_kib == 61960
    assert only_peer_device(r0(parse_events2, out[EVENTS])).out_of_sync_kib is None


def test_drbd9_resync_progress_agrees_across_sources() -> None:
    for node in ("alpha", "bravo"):
        out = sample("drbd9", "10", node)
        for command, parser in ((STATUS, parse_status_text), (VERBOSE, parse_status_text),
                                (EVENTS, parse_events2), (EVENTS_STATISTICS, parse_events2),
                                (JSON, parse_status_json)):
            assert only_peer_device(r0(parser, out[command])).sync_percent == 62.64, command
        json_state = r0(parse_status_json, out[JSON])
        assert only_peer_device(json_state).out_of_sync_kib == 3080


@pytest.mark.parametrize(("version", "node", "reason"), [
    ("drbd84", "alpha", SuspendReason.PEER), ("drbd84", "bravo", SuspendReason.USER),
    ("drbd9", "alpha", SuspendReason.PEER), ("drbd9", "bravo", SuspendReason.USER),
])
def test_paused_sync_says_who_paused_it(version: str, node: str, reason: str) -> None:
    out = sample(version, "10", node)
    parsers = {STATUS: parse_status_text, VERBOSE: parse_status_text, EVENTS: parse_events2,
               EVENTS_STATISTICS: parse_events2}
    states = [r0(parser, out[command]) for command, parser in parsers.items()]
    if version == "drbd84":
        states += [parse_proc_drbd(out[PROC]).resource("r0"), parse_sh_status(out[SH_STATUS])]
    else:
        states.append(r0(parse_status_json, out[JSON]))
    for state in states:
        peer_device = only_peer_device(state)
        assert peer_device.resync_suspended == (reason,)
        assert peer_device.replication in (ReplicationState.PAUSED_SYNC_S,
                                           ReplicationState.PAUSED_SYNC_T)
        assert state.resyncing


def test_wrapped_status_line_continues_the_peer_device() -> None:
    # "resync-suspended:user" sits alone on the next, deeper-indented line.
    text = sample("drbd84", "10", "bravo")[STATUS]
    assert "\n        resync-suspended:user\n" in text
    assert only_peer_device(r0(parse_status_text, text)).resync_suspended == ("user",)


# --- DRBD 9 fields ------------------------------------------------------------------------------

# DRBD's own view, from events2: prefix-node → (may_promote, promotion_score)
DRBD9_PROMOTION = {
    "02-alpha": (False, 0), "03-alpha": (False, 10102), "04-bravo": (False, 10102),
    "07-alpha": (False, 0), "07-bravo": (False, 10101), "08-alpha": (False, 0),
    "10-alpha": (False, 10001), "10-bravo": (False, 10101), "11-alpha": (True, 10101),
    "12-alpha": (False, 10101), "18-alpha": (True, 10101), "18-bravo": (True, 1),
    "19-alpha": (True, 10101),
}


@pytest.mark.parametrize("case", sorted(DRBD9_PROMOTION))
def test_drbd9_events2_carries_drbds_own_promotion_view(case: str) -> None:
    prefix, node = case.split("-")
    out = sample("drbd9", prefix, node)
    for command in (EVENTS, EVENTS_STATISTICS):
        state = r0(parse_events2, out[command])
        assert (state.may_promote, state.promotion_score) == DRBD9_PROMOTION[case]
    # DRBD promotes only a Secondary that sees no Primary and can reach UpToDate data.
    if state.may_promote:
        assert not state.is_primary and state.peer_primary is None
        assert state.all_local_up_to_date or state.any_peer_up_to_date
    # Only events2 carries them.
    assert r0(parse_status_json, out[JSON]).may_promote is None
    assert r0(parse_status_text, out[VERBOSE]).promotion_score is None


def test_drbd9_reports_quorum_and_node_ids_drbd84_does_not() -> None:
    out = sample("drbd9", "04", "bravo")
    for command, parser in ((VERBOSE, parse_status_text), (EVENTS, parse_events2),
                            (JSON, parse_status_json)):
        state = r0(parser, out[command])
        assert [d.quorum for d in state.devices] == [True] and not state.quorum_lost
        assert state.connections[0].name == "alpha"
    assert r0(parse_status_text, out[VERBOSE]).node_id == 1
    assert r0(parse_status_json, out[JSON]).node_id == 1
    # Without --verbose, quorum is only printed when lost.
    assert r0(parse_status_text, out[STATUS]).devices[0].quorum is None
    old = r0(parse_events2, sample("drbd84", "04", "bravo")[EVENTS])
    assert old.devices[0].quorum is None and old.may_promote is None
    assert old.connections[0].name == "peer"


def test_detached_disk_is_diskless_but_not_a_client() -> None:
    for version in ("drbd84", "drbd9"):
        out = sample(version, "18", "bravo")
        state = r0(parse_events2, out[EVENTS])
        assert state.devices[0].disk == DiskState.DISKLESS and not state.diskless_client
        assert state.devices[0].client is (False if version == "drbd9" else None)
        peer = r0(parse_events2, sample(version, "18", "alpha")[EVENTS])
        assert only_peer_device(peer).peer_disk == DiskState.DISKLESS
        assert only_peer_device(peer).peer_client is (False if version == "drbd9" else None)
    text = r0(parse_status_text, sample("drbd9", "18", "bravo")[STATUS])
    assert text.devices[0].client is False


def test_lost_quorum_is_read_from_every_drbd9_source() -> None:
    out = sample("drbd9", "04")
    states = [
        r0(parse_events2, out[EVENTS].replace("quorum:yes", "quorum:no")),
        r0(parse_status_text, out[VERBOSE].replace("quorum:yes", "quorum:no")),
        r0(parse_status_text, out[STATUS].replace("disk:UpToDate", "disk:UpToDate quorum:no")),
        r0(parse_status_json, out[JSON].replace('"quorum": true', '"quorum": false')),
    ]
    for state in states:
        assert state.quorum_lost and state.degraded_reason() == "quorum lost"


def test_suspended_io_is_read_with_its_reasons() -> None:
    out = sample("drbd9", "04")
    events = r0(parse_events2, out[EVENTS].replace("suspended:no", "suspended:user,quorum"))
    assert events.suspended == (SuspendReason.USER, SuspendReason.QUORUM)
    assert events.degraded_reason() == "I/O suspended (user, quorum)"
    json_state = r0(parse_status_json, out[JSON].replace(
        '"suspended": false', '"suspended": true').replace(
        '"suspended-fencing": false', '"suspended-fencing": true'))
    assert json_state.suspended == (SuspendReason.FENCING,)
    proc_text = sample("drbd84", "04")[PROC].replace(" C r-----", " C s-----")
    assert parse_proc_drbd(proc_text).resource("r0").suspended == (SuspendReason.UNKNOWN,)


# --- not configured -----------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["drbd84", "drbd9"])
def test_unconfigured_resource_parses_to_nothing(version: str) -> None:
    out = sample(version, "01")
    assert parse_events2(out[EVENTS]) == () and parse_events2(out[EVENTS_STATISTICS]) == ()
    assert parse_status_text(out[STATUS]) == () and parse_status_text(out[VERBOSE]) == ()
    assert find_resource((), "r0") == DrbdResource.absent("r0")
    if version == "drbd9":
        assert parse_status_json(sample(version, "20")[JSON]) == ()
    else:
        assert not parse_sh_status(out[SH_STATUS]).configured


def test_drbd84_rejects_json_and_drbd9_rejects_sh_status() -> None:
    with pytest.raises(ValueError, match="not JSON"):
        parse_status_json(sample("drbd84", "04")[JSON])
    with pytest.raises(ValueError, match="not sh-status output"):
        parse_sh_status(sample("drbd9", "04")[SH_STATUS])


# --- states no capture holds --------------------------------------------------------------------

THREE_NODES = """\
exists resource name:r1 role:Secondary suspended:no force-io-failures:no may_promote:no promotion_score:10202
exists connection name:r1 peer-node-id:1 conn-name:bravo connection:Connected role:Primary
exists connection name:r1 peer-node-id:2 conn-name:charlie connection:Connecting role:Unknown
exists device name:r1 volume:0 minor:10 backing_dev:/dev/vdb disk:UpToDate client:no quorum:yes
exists device name:r1 volume:1 minor:11 backing_dev:/dev/vdc disk:UpToDate client:no quorum:yes
exists peer-device name:r1 peer-node-id:1 conn-name:bravo volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no
exists peer-device name:r1 peer-node-id:1 conn-name:bravo volume:1 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no
exists peer-device name:r1 peer-node-id:2 conn-name:charlie volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no
exists peer-device name:r1 peer-node-id:2 conn-name:charlie volume:1 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no
exists path name:r1 peer-node-id:1 conn-name:bravo local:ipv4:10.99.0.1:7790 peer:ipv4:10.99.0.2:7790 established:yes
exists -
"""  # noqa: E501  (events2 lines are long; they are kept whole)


def test_several_volumes_and_peers_from_events2() -> None:
    (state,) = parse_events2(THREE_NODES)
    assert [(d.volume, d.minor) for d in state.devices] == [(0, 10), (1, 11)]
    assert [c.label for c in state.connections] == ["peer bravo", "peer charlie"]
    assert state.any_peer_up_to_date and not state.all_peers_up_to_date
    assert state.peer_disk_unknown and not state.connected
    assert state.peer_primary is not None and state.peer_primary.name == "bravo"
    assert state.degraded_reason() == "peer charlie is disconnected (Connecting)"


MULTI_VOLUME_TEXT = """\
r1 role:Secondary
  volume:0 disk:UpToDate
  volume:1 disk:Inconsistent
  bravo role:Primary
    volume:0 peer-disk:UpToDate
    volume:1 replication:SyncTarget peer-disk:UpToDate done:40.00
  charlie connection:Connecting
"""


def test_several_volumes_and_peers_from_status_text() -> None:
    (state,) = parse_status_text(MULTI_VOLUME_TEXT)
    assert [d.disk for d in state.devices] == ["UpToDate", "Inconsistent"]
    bravo, charlie = state.connections
    assert [pd.replication for pd in bravo.peer_devices] == ["Established", "SyncTarget"]
    assert bravo.state == ConnectionState.CONNECTED and bravo.peer_devices[1].sync_percent == 40.0
    # A peer that is not connected gets one Off/DUnknown peer device per local volume.
    assert [(pd.volume, pd.replication, pd.peer_disk) for pd in charlie.peer_devices] == [
        (0, "Off", "DUnknown"), (1, "Off", "DUnknown")]
    assert state.resync_percent == 40.0 and state.any_peer_up_to_date


def test_events2_stream_applies_changes_in_order() -> None:
    text = sample("drbd9", "04", "bravo")[EVENTS] + (
        "change resource name:r0 role:Primary\n"
        "change connection name:r0 peer-node-id:0 conn-name:alpha role:Secondary\n"
        "change peer-device name:r0 peer-node-id:0 conn-name:alpha volume:0 "
        "replication:SyncSource done:5.50\n"
        "call helper name:r0 peer-node-id:0 conn-name:alpha helper:fence-peer\n")
    state = r0(parse_events2, text)
    assert state.is_primary and state.connections[0].peer_role == Role.SECONDARY
    assert state.resyncing and state.resync_percent == 5.5
    gone = r0(parse_events2, text + "destroy connection name:r0 peer-node-id:0 conn-name:alpha\n"
              "destroy peer-device name:r0 peer-node-id:0 conn-name:alpha volume:0\n")
    assert gone.connections == ()


# --- bad input ----------------------------------------------------------------------------------

EVENTS_OK = "exists resource name:r0 role:Secondary suspended:no\nexists -\n"
MALFORMED: list[tuple[Callable, str, str]] = [
    (parse_events2, "", "without 'exists -'"),
    (parse_events2, "exists resource name:r0 role:Secondary\n", "without 'exists -'"),
    (parse_events2, "hello world\nexists -\n", "not an events2 line"),
    (parse_events2, "exists resource name:r0 role\nexists -\n", "not a key:value"),
    (parse_events2, "exists resource role:Secondary\nexists -\n", "no name"),
    (parse_events2, "exists resource name:r0\nexists -\n", "no role"),
    (parse_events2, EVENTS_OK.replace("exists -", "exists device name:r0 volume:x disk:UpToDate"
                                      "\nexists -"), "volume:x is not an integer"),
    (parse_events2, "exists device name:r0 volume:0 disk:UpToDate\nexists -\n",
     "before the resource"),
    (parse_events2, EVENTS_OK.replace("exists -", "exists peer-device name:r0 peer-node-id:1 "
                                      "volume:0 replication:Off peer-disk:DUnknown\nexists -"),
     "without its connection"),
    (parse_events2, EVENTS_OK.replace("exists -", "exists gadget name:r0\nexists -"),
     "unknown events2 object"),
    (parse_events2, EVENTS_OK.replace("suspended:no", "suspended:no may_promote:maybe"),
     "neither yes nor no"),
    (parse_status_text, "  disk:UpToDate\n", "before any resource"),
    (parse_status_text, "r0 role:Primary\n\tdisk:UpToDate\n", "tab"),
    (parse_status_text, "r0 role:Primary\n   disk:UpToDate\n", "indentation of 3"),
    (parse_status_text, "role:Primary\n", "starts with its name"),
    (parse_status_text, "r0 Primary\n", "not a key:value"),
    (parse_status_text, "r0 suspended:no\n", "no role"),
    (parse_status_text, "r0 role:Primary\n  volume:0\n", "no disk"),
    (parse_status_text, "r0 role:Primary\n  disk:UpToDate\n  b role:Secondary\n"
                        "    peer-disk:UpToDate done:1.2.3\n", "not a percentage"),
    (parse_status_text, "r0 role:Primary\n  disk:UpToDate\n  b role:Secondary\n"
                        "    peer-disk:UpToDate done:250\n", "more than 100%"),
    (parse_status_json, "{}", "expected a list"),
    (parse_status_json, "[{\"name\": \"r0\"", "not JSON"),
    (parse_status_json, "[{\"role\": \"Primary\"}]", "no 'name'"),
    (parse_status_json, "[{\"name\": \"r0\", \"role\": \"Primary\", \"devices\": [1]}]",
     "expected an object"),
    (parse_status_json, "[{\"name\": \"r0\", \"role\": \"Primary\", \"devices\": "
                        "[{\"volume\": true, \"disk-state\": \"UpToDate\"}]}]", "'volume' is True"),
    (parse_status_json, "[{\"name\": \"r0\", \"role\": \"Primary\", \"connections\": "
                        "[{\"peer-node-id\": 1}]}]", "no 'connection-state'"),
    (parse_proc_drbd, "GIT-hash: abc\n", "first line is not 'version"),
    (parse_proc_drbd, "version: 8\n", "first line is not 'version"),
    (parse_proc_drbd, "version: 8.4.11 (api:1/proto:86-101)\n 0: cs:Connected ds:UpToDate/"
                      "UpToDate C r-----\n", "no ro"),
    (parse_proc_drbd, "version: 8.4.11 (api:1/proto:86-101)\n 0: cs:Connected ro:Primary "
                      "ds:UpToDate/UpToDate C r-----\n", "not local/peer"),
    (parse_proc_drbd, "version: 8.4.11 (api:1/proto:86-101)\n 0: cs:Connected ro:Primary/"
                      "Secondary ds:UpToDate/UpToDate\n", "I/O flags"),
    (parse_proc_drbd, "version: 8.4.11 (api:1/proto:86-101)\n 0: cs:SyncSource ro:Primary/"
                      "Secondary ds:UpToDate/Inconsistent C r-----\n\t[>....] sync'ed: x%\n",
     "not a percentage"),
    (parse_sh_status, "", "does not end with _sh_status_process"),
    (parse_sh_status, "_minor=0\n_cstate=Connected\n", "does not end with _sh_status_process"),
    (parse_sh_status, "_minor\n_sh_status_process\n", "is not _key=value"),
    (parse_sh_status, "_minor=0\n_known=Configured\n_cstate=Connected\n_sh_status_process\n",
     "no _role"),
]


@pytest.mark.parametrize(("parser", "text", "reason"), MALFORMED,
                         ids=[f"{p.__name__}-{i}" for i, (p, _, _) in enumerate(MALFORMED)])
def test_malformed_input_is_a_value_error_with_a_reason(parser: Callable, text: str,
                                                        reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(")):
        parser(text)


PARSERS_BY_COMMAND = {PROC: parse_proc_drbd, STATUS: parse_status_text,
                      VERBOSE: parse_status_text, EVENTS_STATISTICS: parse_events2,
                      JSON: parse_status_json, SH_STATUS: parse_sh_status}


def _parse_or_value_error(parser: Callable, text: str) -> None:
    try:
        parser(text)
    except ValueError:
        pass


@pytest.mark.parametrize(("version", "prefix", "node"), [
    ("drbd84", "03", "alpha"), ("drbd84", "10", "bravo"), ("drbd9", "10", "bravo"),
    ("drbd9", "18", "bravo"),
])
def test_output_cut_anywhere_parses_or_is_a_value_error(version: str, prefix: str,
                                                        node: str) -> None:
    out = sample(version, prefix, node)
    for command, parser in PARSERS_BY_COMMAND.items():
        text = out[command]
        for end in range(len(text)):
            _parse_or_value_error(parser, text[:end])


ALL_LINES = sorted({line for version in ("drbd84", "drbd9") for path in (DATA / version).glob(
    "[0-9]*.txt") for line in Path(path).read_text().splitlines()})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ALL_LINES), max_size=12), st.sampled_from(sorted(
    PARSERS_BY_COMMAND.values(), key=lambda p: p.__name__)))
def test_shuffled_real_lines_parse_or_are_a_value_error(lines: list[str], parser) -> None:
    _parse_or_value_error(parser, "".join(f"{line}\n" for line in lines))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \n\t:/-_#[]{}\",.%0123456789abcdeflnoprstuxyzACDPSU", max_size=120))
def test_arbitrary_text_parses_or_is_a_value_error(text: str) -> None:
    for parser in PARSERS_BY_COMMAND.values():
        _parse_or_value_error(parser, text)
