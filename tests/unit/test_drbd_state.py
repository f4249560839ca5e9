"""ocf_lib.drbd against every state captured from real DRBD 8.4.11 and 9.2.16 pairs.

tests/data/drbd84 and tests/data/drbd9 hold the captures verbatim: each file is one node in one
scenario step, with the exact output of a dozen commands. Every parseable source of every file
must agree with the INDEX.md table (which the capture tool filled from `drbdadm role|dstate|cstate`)
and with the other sources of the same file. Where a source really saw another moment (the
commands ran one after another while a resync moved on), DRIFT records what it saw instead;
INDEX_ERRATA records the one row whose columns no state source confirms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, NamedTuple

import pytest

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
    promotion_score,
    split_cstate,
    with_proc_progress,
)

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[1] / "data"
VERSIONS = ("drbd84", "drbd9")
RESOURCE = "r0"


class Capture(NamedTuple):
    stdout: str
    stderr: str
    exit_code: int


def read_sample(path: Path) -> dict[str, Capture]:
    """A capture file as {command: (stdout, stderr, exit code)}; the first run of a command wins.

    The format: `$ command`, its stdout lines, optionally `[stderr]` and stderr lines, then
    `[exit code N]` (refusals.txt adds the run time after it). Lines outside a command are
    headers (`# host: …`, `### title`).
    """
    captures: dict[str, Capture] = {}
    command: str | None = None
    out: list[str] = []
    err: list[str] = []
    current = out
    for line in path.read_text().splitlines():
        if line.startswith("$ "):
            command, out, err = line[2:], [], []
            current = out
        elif command is None:
            continue
        elif line == "[stderr]":
            current = err
        elif line.startswith("[exit code "):
            code = int(line[len("[exit code "):].partition("]")[0])
            captures.setdefault(command, Capture("".join(f"{x}\n" for x in out),
                                                 "".join(f"{x}\n" for x in err), code))
            command = None
        else:
            current.append(line)
    return captures


class IndexRow(NamedTuple):
    file: str
    role: str
    dstate: str
    cstate: str
    extra: str      # 8.4: the /proc/drbd line; 9: events2's first peer-device words


def index_rows(version: str) -> list[IndexRow]:
    rows = []
    for line in (DATA / version / "INDEX.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(".txt"):
            rows.append(IndexRow(*cells))
    return rows


def _proc(out: Capture) -> DrbdResource:
    return parse_proc_drbd(out.stdout if out.exit_code == 0 else None).resource(RESOURCE)


def _named(parser: Callable[[str], tuple[DrbdResource, ...]]) -> Callable[[Capture], DrbdResource]:
    # A failed `status`/`--json` (exit 10: no such resource) still prints parseable stdout.
    return lambda out: find_resource(parser(out.stdout), RESOURCE)


# source name → (command, how the agent would turn its capture into a DrbdResource)
SOURCES: dict[str, tuple[str, Callable[[Capture], DrbdResource]]] = {
    "proc": ("cat /proc/drbd", _proc),
    "status": ("drbdadm status r0", _named(parse_status_text)),
    "status-verbose": ("drbdsetup status r0 --verbose --statistics", _named(parse_status_text)),
    "events2": ("drbdsetup events2 --now r0", _named(parse_events2)),
    "events2-statistics": ("drbdsetup events2 --now --statistics r0", _named(parse_events2)),
    "json": ("drbdsetup status --json r0", _named(parse_status_json)),
    "sh-status": ("drbdsetup sh-status 0", lambda out: parse_sh_status(out.stdout)),
}
# /proc/drbd of DRBD 9 holds only the version; --json is DRBD 9's, sh-status 8.4's.
SOURCES_OF = {
    "drbd84": ("proc", "status", "status-verbose", "events2", "events2-statistics", "sh-status"),
    "drbd9": ("status", "status-verbose", "events2", "events2-statistics", "json"),
}

# Sources that captured another moment than the other commands of the same file (they ran one
# after another while a resync moved on): what they really saw, field by field.
_RESYNC_DONE = {"peer_disk": (DiskState.UP_TO_DATE,),
                "replication": (ReplicationState.ESTABLISHED,)}
DRIFT: dict[tuple[str, str, str], dict[str, object]] = {
    # /proc/drbd was read first, while the reconnect was still exchanging UUIDs.
    ("drbd84", "09-resync-after-reconnect-alpha.txt", "proc"): {
        "disk": (DiskState.OUTDATED,), "replication": (ReplicationState.WF_SYNC_UUID,)},
    # The 24 MB resync finished between `drbdsetup status` and `events2`.
    ("drbd84", "09-resync-after-reconnect-bravo.txt", "events2"): _RESYNC_DONE,
    ("drbd84", "09-resync-after-reconnect-bravo.txt", "events2-statistics"): _RESYNC_DONE,
    ("drbd84", "09-resync-after-reconnect-bravo.txt", "sh-status"): _RESYNC_DONE,
    # drbdadm loads the module itself: only /proc/drbd, read before any drbdadm call, missed it.
    ("drbd84", "21-module-not-loaded-alpha.txt", "proc"): {"presence": Presence.NOT_LOADED},
}
# Where INDEX.md's columns are not what any state source saw.
INDEX_ERRATA: dict[tuple[str, str], dict[str, object]] = {
    # `drbdadm dstate` caught the end of the initial sync (UpToDate/Inconsistent); it had finished
    # for every later command. The row shows it itself: its dstate and events2 columns disagree.
    ("drbd9", "03-syncsource-synctarget-initial-fullsync-alpha.txt"): {
        "peer_disk": (DiskState.UP_TO_DATE,)},
}
# DRBD 8.4's status text leaves a StandAlone peer out altogether.
OMITS_STANDALONE_PEER = {("drbd84", "status"), ("drbd84", "status-verbose")}


def observed(state: DrbdResource) -> dict[str, object]:
    if not state.configured:
        return {"presence": state.presence}
    connection = state.connections[0] if state.connections else None
    peer_devices = connection.peer_devices if connection else ()
    return {
        "presence": state.presence,
        "role": state.role,
        "peer_role": connection.peer_role if connection else None,
        "disk": tuple(d.disk for d in state.devices),
        "peer_disk": tuple(pd.peer_disk for pd in peer_devices),
        "connection": connection.state if connection else None,
        "replication": tuple(pd.replication for pd in peer_devices),
        "resync_suspended": tuple(pd.resync_suspended for pd in peer_devices),
    }


def expected(version: str, row: IndexRow, source: str) -> dict[str, object]:
    drift = DRIFT.get((version, row.file, source), {})
    if row.role == "(error)":
        # The resource is down; `drbdadm dstate` then reads the on-disk meta data ("Consistent").
        return {"presence": Presence.NOT_CONFIGURED, **drift}
    disk, peer_disk = row.dstate.split("/")
    wanted: dict[str, object] = {"presence": Presence.CONFIGURED, "disk": (disk,),
                                 "peer_disk": (peer_disk,)}
    if version == "drbd84":
        wanted["role"], wanted["peer_role"] = row.role.split("/")
        wanted["connection"], replication = split_cstate(row.cstate)
        wanted["replication"] = (replication,)
    else:
        words = dict(word.split(":") for word in row.extra.split())
        wanted.update(role=row.role, connection=row.cstate,
                      replication=(words["replication"],),
                      resync_suspended=(() if words["resync-suspended"] == "no"
                                        else (words["resync-suspended"],),))
    wanted.update(INDEX_ERRATA.get((version, row.file), {}), **drift)
    if (version, source) in OMITS_STANDALONE_PEER and wanted["connection"] == "StandAlone":
        wanted.update(peer_role=None, peer_disk=(), connection=None, replication=())
    return wanted


def parsed(version: str, file: str, source: str) -> DrbdResource:
    command, parse = SOURCES[source]
    return parse(read_sample(DATA / version / file)[command])


CASES = [(version, row, source) for version in VERSIONS for row in index_rows(version)
         for source in SOURCES_OF[version]]


def test_every_capture_file_is_in_the_index() -> None:
    for version in VERSIONS:
        listed = {row.file for row in index_rows(version)}
        on_disk = {p.name for p in (DATA / version).glob("[0-9]*.txt")}
        assert listed == on_disk and len(listed) == 30


def test_sample_splits_into_stdout_stderr_and_exit_code() -> None:
    captures = read_sample(DATA / "drbd84" / "01-loaded-unconfigured-alpha.txt")
    assert captures["drbdadm role r0"] == Capture(
        "", "0: Failure: (127) Device minor not allocated\nadditional info from kernel:\n"
        "unknown minor\nCommand 'drbdsetup-84 role 0' terminated with exit code 10\n", 10)
    assert captures["drbdsetup events2 --now r0"] == Capture("exists -\n", "", 0)
    refusals = read_sample(DATA / "drbd9" / "refusals.txt")
    assert refusals["drbdadm role nosuchres"].exit_code == 1


@pytest.mark.parametrize(("version", "row", "source"), CASES,
                         ids=[f"{v}/{r.file[:-4]}/{s}" for v, r, s in CASES])
def test_source_agrees_with_index(version: str, row: IndexRow, source: str) -> None:
    wanted = expected(version, row, source)
    seen = observed(parsed(version, row.file, source))
    assert {key: seen.get(key) for key in wanted} == wanted


@pytest.mark.parametrize(("version", "row"), [(v, r) for v in VERSIONS for r in index_rows(v)],
                         ids=[f"{v}/{r.file[:-4]}" for v in VERSIONS for r in index_rows(v)])
def test_sources_of_one_capture_agree(version: str, row: IndexRow) -> None:
    """Every source reads the same state and leads to the same promotion decision — apart from
    the DRIFT entries and the StandAlone peer 8.4's status text omits."""
    views, decisions = {}, {}
    for source in SOURCES_OF[version]:
        if (version, row.file, source) in DRIFT:
            continue
        state = parsed(version, row.file, source)
        view = observed(state)
        if (version, source) in OMITS_STANDALONE_PEER and state.configured and (
                not state.connections):
            continue
        view.pop("resync_suspended", None)   # /proc/drbd and sh-status carry it, text may not
        views[source] = view
        decisions[source] = promotion_score(state)
    assert len(views) >= 3
    first = next(iter(views.values()))
    assert all(view == first for view in views.values()), views
    assert len(set(decisions.values())) == 1, decisions


KNOWN = {
    "role": {Role.PRIMARY, Role.SECONDARY, Role.UNKNOWN},
    "disk": set(vars(DiskState).values()),
    "connection": set(vars(ConnectionState).values()),
    "replication": set(vars(ReplicationState).values()),
    "reason": set(vars(SuspendReason).values()),
}


@pytest.mark.parametrize(("version", "row", "source"), CASES,
                         ids=[f"{v}/{r.file[:-4]}/{s}" for v, r, s in CASES])
def test_every_parsed_state_is_a_known_constant(version: str, row: IndexRow,
                                                source: str) -> None:
    state = parsed(version, row.file, source)
    assert state.role in KNOWN["role"]
    assert set(state.suspended) <= KNOWN["reason"]
    for device in state.devices:
        assert device.disk in KNOWN["disk"]
    for connection in state.connections:
        assert connection.state in KNOWN["connection"] and connection.peer_role in KNOWN["role"]
        for pd in connection.peer_devices:
            assert pd.replication in KNOWN["replication"] and pd.peer_disk in KNOWN["disk"]
            assert set(pd.resync_suspended) <= KNOWN["reason"]


def events2(version: str, prefix: str, node: str = "alpha") -> DrbdResource:
    file = next(p.name for p in (DATA / version).glob(f"{prefix}-*-{node}.txt"))
    return parsed(version, file, "events2")


@pytest.mark.parametrize("version", VERSIONS)
def test_connected_uptodate_pair_is_not_degraded(version: str) -> None:
    for node in ("alpha", "bravo"):
        state = events2(version, "04", node)
        assert state.connected and state.all_local_up_to_date and state.any_peer_up_to_date
        assert not state.resyncing and not state.peer_disk_unknown
        assert state.degraded_reason() is None
    assert events2(version, "04", "alpha").is_primary
    assert not events2(version, "04", "bravo").is_primary


def test_disconnected_peer_is_the_degraded_reason() -> None:
    assert events2("drbd9", "11").degraded_reason() == "peer bravo is disconnected (Connecting)"
    assert events2("drbd84", "11").degraded_reason() == "the peer is disconnected (Connecting)"
    standalone = events2("drbd84", "07")
    assert standalone.degraded_reason() == "the peer is disconnected (StandAlone)"
    assert not standalone.connected and standalone.peer_disk_unknown


def test_resync_is_the_degraded_reason_with_its_progress() -> None:
    paused = events2("drbd9", "10")
    assert paused.resyncing and paused.resync_percent == 62.64
    assert paused.degraded_reason() == (
        "resync in progress with peer bravo (PausedSyncT, 62.64% done, paused (peer))")
    # DRBD 8.4's events2 gives no progress: /proc/drbd (read first, at 6.3%) does.
    captures = read_sample(DATA / "drbd84" / "03-syncsource-synctarget-initial-fullsync-alpha.txt")
    state = events2("drbd84", "03")
    assert state.degraded_reason() == "resync in progress with the peer (SyncSource)"
    merged = with_proc_progress(state, parse_proc_drbd(captures["cat /proc/drbd"].stdout))
    assert merged.degraded_reason() == "resync in progress with the peer (SyncSource, 6.3% done)"


@pytest.mark.parametrize("prefix", ["03", "09", "10", "13"])
def test_resync_samples_of_drbd84_are_resyncing(prefix: str) -> None:
    for node in ("alpha", "bravo"):
        state = parsed("drbd84", next(p.name for p in (DATA / "drbd84").glob(
            f"{prefix}-*-{node}.txt")), "proc")
        assert state.resyncing and state.connected


def test_lost_disk_is_the_degraded_reason_on_both_sides() -> None:
    for version in VERSIONS:
        assert events2(version, "18", "bravo").degraded_reason() == "local disk is Diskless"
    assert events2("drbd9", "18", "alpha").degraded_reason() == "peer bravo disk is Diskless"
    assert events2("drbd84", "18", "alpha").degraded_reason() == "the peer disk is Diskless"


def test_inconsistent_pair_is_degraded_by_its_local_disk() -> None:
    assert events2("drbd9", "02").degraded_reason() == "local disk is Inconsistent"


@pytest.mark.parametrize("version", VERSIONS)
def test_resource_that_is_down_says_so(version: str) -> None:
    for prefix in ("19", "20", "21"):
        node = "bravo" if prefix == "19" else "alpha"
        state = events2(version, prefix, node)
        assert not state.configured and state.presence == Presence.NOT_CONFIGURED
        assert state.degraded_reason() == "DRBD resource r0 is not configured"
    gone = parsed(version, "21-module-not-loaded-alpha.txt", "proc") if version == "drbd84" else (
        parse_proc_drbd(None).resource(RESOURCE))
    assert gone.presence == Presence.NOT_LOADED
    assert gone.degraded_reason() == "DRBD resource r0 is not loaded"
