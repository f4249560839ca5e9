"""ocf_lib.drbd.promotion_score: ocf:linbit:drbd's policy (ocf-facts §4), on real captures where
one exists and on built states for what no capture holds (diskless clients, quorum, transitions).
"""

from __future__ import annotations

import pytest

from ocf_lib.drbd import (
    DEFAULT_SCORES,
    Connection,
    Device,
    DiskState,
    DrbdResource,
    PeerDevice,
    Presence,
    ReplicationState,
    Role,
    ScoreDecision,
    find_resource,
    parse_events2,
    parse_proc_drbd,
    parse_score_setting,
    promotion_score,
)
from tests.unit.test_drbd_state import DATA, read_sample

pytestmark = pytest.mark.unit

S0, S1, S2, S3 = DEFAULT_SCORES


def captured(version: str, prefix: str, node: str = "alpha") -> DrbdResource:
    path = next((DATA / version).glob(f"{prefix}-*-{node}.txt"))
    out = read_sample(path)["drbdsetup events2 --now r0"]
    return find_resource(parse_events2(out.stdout), "r0")


# Every capture of both versions, as the agent's monitor would score it from events2.
SCORE_OF_CAPTURE = {
    "02-alpha": None, "02-bravo": None,          # Inconsistent, peer Inconsistent
    "04-alpha": S3, "04-bravo": S3,              # connected UpToDate pair
    "05-alpha": S3, "05-bravo": S3, "06-alpha": S3, "06-bravo": S3,
    "07-bravo": S3,                              # Primary waiting for its peer
    "08-alpha": None,                            # Outdated, StandAlone
    "10-bravo": S3,                              # SyncSource (paused)
    "11-alpha": S2, "12-alpha": S3, "19-alpha": S2,   # peer gone: Secondary only "local ok"
    "14-alpha": S3, "14-bravo": S3,
    "18-alpha": S3,                              # the peer detached: its Diskless is known
    "18-bravo": S1,                              # detached myself, peer UpToDate
    "10-alpha": S1,                              # SyncTarget (paused) from an UpToDate peer
    "01-alpha": None, "19-bravo": None, "20-alpha": None, "21-alpha": None,   # down
}
# Where the versions captured different states.
SCORE_OF_CAPTURE_84 = {
    "03-alpha": S3, "03-bravo": S1, "09-alpha": S1, "09-bravo": S3, "13-alpha": S3, "13-bravo": S1,
    "07-alpha": S2,                              # 8.4 kept StandAlone Secondary UpToDate
}
SCORE_OF_CAPTURE_9 = {
    "03-alpha": S3, "03-bravo": S3, "09-alpha": S3, "09-bravo": S3, "13-alpha": S3, "13-bravo": S3,
    "07-alpha": None,                            # DRBD 9 outdated the disconnected Secondary
}
CASES = [("drbd84", case, score) for case, score in {**SCORE_OF_CAPTURE,
                                                      **SCORE_OF_CAPTURE_84}.items()] + [
    ("drbd9", case, score) for case, score in {**SCORE_OF_CAPTURE, **SCORE_OF_CAPTURE_9}.items()]


def test_every_capture_is_scored_in_the_table() -> None:
    for version in ("drbd84", "drbd9"):
        names = {"-".join(p.name.split("-")[:1] + p.name[:-4].split("-")[-1:])
                 for p in (DATA / version).glob("[0-9]*.txt")}
        assert names == {case for v, case, _ in CASES if v == version}


@pytest.mark.parametrize(("version", "case", "score"), CASES,
                         ids=[f"{v}/{c}" for v, c, _ in CASES])
def test_captured_state_gets_the_linbit_score(version: str, case: str, score: int | None) -> None:
    prefix, node = case.split("-")
    decision = promotion_score(captured(version, prefix, node))
    assert decision.score == score and not decision.unchanged, decision.reason


@pytest.mark.parametrize("version", ["drbd84", "drbd9"])
def test_primary_with_uptodate_disk_keeps_the_top_score(version: str) -> None:
    decision = promotion_score(captured(version, "04", "alpha"))
    assert decision == ScoreDecision(S3, "Primary with all local disks UpToDate")


def test_secondary_that_lost_its_peer_gets_the_local_ok_score() -> None:
    decision = promotion_score(captured("drbd9", "11"))
    assert decision == ScoreDecision(S2, "local disks UpToDate, some peer disk state unknown")


@pytest.mark.parametrize("version", ["drbd84", "drbd9"])
def test_outdated_disk_gets_no_promotion_score(version: str) -> None:
    decision = promotion_score(captured(version, "08"))
    assert decision.delete and decision.reason == "no usable local data (Outdated)"


def test_inconsistent_disk_without_uptodate_peer_gets_no_promotion_score() -> None:
    assert promotion_score(captured("drbd9", "02")).delete


def test_sync_target_gets_the_remote_only_score() -> None:
    decision = promotion_score(captured("drbd9", "10"))
    assert decision == ScoreDecision(S1, "local disk not UpToDate, peer bravo UpToDate")


def test_detached_node_gets_the_remote_only_score_not_the_client_score() -> None:
    # Diskless after `detach` is not an intentionally diskless client (client:no).
    assert promotion_score(captured("drbd9", "18", "bravo")).score == S1


def test_primary_that_lost_its_disk_gets_the_remote_only_score() -> None:
    out = read_sample(DATA / "drbd84" / "refusals.txt")[
        "drbdadm detach r0; echo rc=$?; cat /proc/drbd; drbdadm attach r0; echo attach_rc=$?"]
    text = "".join(line + "\n" for line in out.stdout.splitlines() if "rc=" not in line)
    assert promotion_score(parse_proc_drbd(text).resource("r0")).score == S1


@pytest.mark.parametrize("presence", [Presence.NOT_CONFIGURED, Presence.NOT_LOADED])
def test_resource_that_is_down_gets_no_promotion_score(presence: str) -> None:
    decision = promotion_score(DrbdResource.absent("r0", presence))
    assert decision.delete and presence in decision.reason


def test_configured_scores_replace_the_defaults() -> None:
    scores = parse_score_setting("5 50 500 5000")
    assert promotion_score(captured("drbd9", "11"), scores).score == 500
    assert promotion_score(captured("drbd9", "10"), scores).score == 50
    assert promotion_score(captured("drbd9", "04"), scores).score == 5000


@pytest.mark.parametrize("version", ["drbd84", "drbd9"])
def test_remove_if_peer_primary_deletes_the_score_next_to_a_healthy_primary(version: str) -> None:
    secondary = captured(version, "04", "bravo")
    decision = promotion_score(secondary, remove_if_peer_primary=True)
    assert decision.delete and "is Primary with UpToDate data" in decision.reason
    # Not the Primary's own score, and not next to a Primary that is gone.
    assert promotion_score(captured(version, "04", "alpha"), remove_if_peer_primary=True
                           ).score == S3
    assert promotion_score(captured(version, "11"), remove_if_peer_primary=True).score == S2


# --- built states -------------------------------------------------------------------------------

def peer(name: str, disks: list[str], role: str = Role.SECONDARY, state: str = "Connected",
         client: bool = False) -> Connection:
    replication = ReplicationState.ESTABLISHED if state == "Connected" else ReplicationState.OFF
    return Connection(name, None, state, role, tuple(
        PeerDevice(volume, replication, disk, peer_client=client)
        for volume, disk in enumerate(disks)))


def resource(disks: list[str], *peers: Connection, role: str = Role.SECONDARY,
             client: bool = False, quorum: bool | None = True) -> DrbdResource:
    return DrbdResource("r1", role=role, connections=peers, devices=tuple(
        Device(volume, volume, disk, client=client, quorum=quorum)
        for volume, disk in enumerate(disks)))


UP, DISKLESS, UNKNOWN = DiskState.UP_TO_DATE, DiskState.DISKLESS, DiskState.UNKNOWN


def test_lost_quorum_deletes_even_a_primary_score() -> None:
    state = resource([UP], peer("b", [UP]), role=Role.PRIMARY, quorum=False)
    assert promotion_score(state) == ScoreDecision(None, "no quorum")


def test_unhealthy_primary_peer_does_not_remove_the_score() -> None:
    state = resource([UP], peer("b", [DISKLESS], role=Role.PRIMARY))
    assert promotion_score(state, remove_if_peer_primary=True).score == S3


def test_diskless_client_scores_by_its_peers() -> None:
    two_up = resource([DISKLESS], peer("a", [UP]), peer("b", [UP]), client=True)
    assert promotion_score(two_up).score == S3 - 1
    one_up = resource([DISKLESS], peer("a", [UP]), peer("b", [UNKNOWN], state="Connecting"),
                      client=True)
    assert promotion_score(one_up).score == S2 - 1
    primary = resource([DISKLESS], peer("a", [UP]), peer("b", [UNKNOWN], state="Connecting"),
                       client=True, role=Role.PRIMARY)
    assert promotion_score(primary).score == S3 - 1
    alone = resource([DISKLESS], peer("a", [UNKNOWN], state="Connecting"), client=True)
    assert promotion_score(alone) == ScoreDecision(
        None, "diskless client without an UpToDate peer")
    assert alone.degraded_reason() == "peer a is disconnected (Connecting)"
    assert two_up.degraded_reason() is None


def test_diskless_client_peer_is_not_an_unknown_peer_disk() -> None:
    state = resource([UP], peer("client", [DISKLESS], client=True))
    assert not state.peer_disk_unknown
    assert promotion_score(state).score == S3
    assert state.degraded_reason() is None


def test_attaching_disk_leaves_the_score_unchanged() -> None:
    decision = promotion_score(resource([DiskState.ATTACHING], peer("b", [UNKNOWN],
                                                                    state="Connecting")))
    assert decision.unchanged and decision.score is None and not decision.delete
    # ocf:linbit:drbd looks for an UpToDate peer before it looks at transitions.
    assert promotion_score(resource([DiskState.NEGOTIATING], peer("b", [UP]))).score == S1


def test_consistent_disk_gets_s0_which_by_default_means_no_score() -> None:
    state = resource([DiskState.CONSISTENT], peer("b", [UNKNOWN], state="Connecting"))
    assert promotion_score(state, (5, 10, 1000, 10000)).score == 5
    decision = promotion_score(state)
    assert decision.delete
    assert decision.reason == "local disks Consistent, maybe stale (score 0: deleted)"


def test_diskless_client_score_below_one_is_deleted() -> None:
    state = resource([DISKLESS], peer("a", [UP]), peer("b", [UNKNOWN], state="Connecting"),
                     client=True)
    assert promotion_score(state, (0, 0, 0, 10)).delete


def test_one_stale_volume_of_several_costs_the_top_score() -> None:
    state = resource([UP, DiskState.INCONSISTENT], peer("b", [UP, UP], role=Role.PRIMARY))
    assert promotion_score(state).score == S1
    assert state.degraded_reason() == "volume 1: local disk is Inconsistent"


# --- adjust_master_score ------------------------------------------------------------------------

def test_score_setting_default_parses() -> None:
    assert parse_score_setting("0 10 1000 10000") == DEFAULT_SCORES
    assert parse_score_setting("  1\t2 2  3 ") == (1, 2, 2, 3)


@pytest.mark.parametrize(("text", "reason"), [
    ("", "four numbers"), ("0 10 1000", "four numbers"), ("0 10 1000 10000 5", "four numbers"),
    ("0 10 -1 10000", "'-1' is not a non-negative integer"),
    ("0 10 1e3 10000", "'1e3' is not a non-negative integer"),
    ("0 10 ١٠٠٠ 10000", "is not a non-negative integer"),
    ("0 1000 10 10000", "must not decrease: 1000 before 10"),
])
def test_bad_score_setting_is_a_value_error(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_score_setting(text)


@pytest.mark.parametrize("output,reason", [
    ("0: State change failed: (-1) Multiple primaries not allowed by config\n"
     "Command 'drbdsetup-84 primary 0' terminated with exit code 11\n",
     "(-1) Multiple primaries not allowed by config"),
    ("0: State change failed: (-2) Need access to UpToDate data\n",
     "(-2) Need access to UpToDate data"),
    ("0: Failure: (127) Device minor not allocated\nadditional info from kernel:\n",
     "Failure: (127) Device minor not allocated"),
    ("'nosuchres' not defined in your config (for this host).\n",
     "'nosuchres' not defined in your config (for this host)."),
    ("something else entirely\n", None),
])
def test_refusal_reason_is_drbds_own_line(output: str, reason: str | None) -> None:
    from ocf_lib.drbd import refusal_reason

    assert refusal_reason(output) == reason


def test_refusal_reason_finds_every_refusal_of_the_captures() -> None:
    from ocf_lib.drbd import refusal_reason

    text = (DATA / "drbd84" / "refusals.txt").read_text()
    for block in text.split("### ")[1:]:
        if "State change failed" in block:
            assert "State change failed" not in (refusal_reason(block) or "x")
            assert refusal_reason(block)
