"""GTID positions and replica health: the pure decisions behind promotion."""

from __future__ import annotations

import pytest

from ocf_lib.mariadb.gtid import (
    Gtid,
    format_position,
    is_behind,
    merge,
    missing_from,
    parse_position,
)
from ocf_lib.mariadb.replica import ReplicaStatus

pytestmark = pytest.mark.unit


def test_positions_parse_and_format() -> None:
    position = parse_position("0-1-100,1-2-7\n")
    assert position == {0: Gtid(0, 1, 100), 1: Gtid(1, 2, 7)}
    assert format_position(position) == "0-1-100,1-2-7"
    assert parse_position("") == {} and parse_position(None) == {}


@pytest.mark.parametrize("text", ["0-1", "0-1-x", "a-b-c", "0-1-2-3", "0-1-5,0-2-6", "-1-2"])
def test_malformed_positions_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_position(text)


def test_behind_means_the_other_holds_more_in_some_domain() -> None:
    mine = parse_position("0-1-100")
    assert is_behind(mine, parse_position("0-1-101"))
    assert is_behind(mine, parse_position("0-1-100,1-3-1"))       # a domain I never saw
    assert not is_behind(mine, parse_position("0-1-100"))
    assert not is_behind(mine, parse_position("0-2-99"))
    assert not is_behind(mine, {})


def test_merge_takes_the_furthest_of_each_domain() -> None:
    merged = merge(parse_position("0-1-100,1-2-3"), parse_position("0-2-105"))
    assert format_position(merged) == "0-2-105,1-2-3"


def test_transactions_the_primary_never_had_mean_divergence() -> None:
    primary = parse_position("0-2-105")
    assert missing_from(parse_position("0-1-100"), primary) == []
    assert missing_from(parse_position("0-1-106"), primary) == [Gtid(0, 1, 106)]
    assert missing_from(parse_position("0-2-105,5-1-1"), primary) == [Gtid(5, 1, 1)]


ROW = {"Master_Host": "node1", "Master_Port": 3306, "Slave_IO_Running": "Yes",
       "Slave_SQL_Running": "Yes", "Last_IO_Errno": 0, "Last_IO_Error": "",
       "Last_SQL_Errno": 0, "Last_SQL_Error": "", "Seconds_Behind_Master": 0,
       "Gtid_IO_Pos": "0-1-100", "Using_Gtid": "Slave_Pos"}


@pytest.mark.parametrize(("changes", "problem"), [
    ({}, None),
    ({"Slave_IO_Running": "Connecting", "Last_IO_Errno": 2003,
      "Last_IO_Error": "error connecting to master", "Seconds_Behind_Master": None}, None),
    ({"Last_IO_Errno": 2013, "Last_IO_Error": "lost connection"}, None),
    ({"Seconds_Behind_Master": 61}, "lags 61s"),
    ({"Seconds_Behind_Master": 60}, None),
    ({"Slave_SQL_Running": "No", "Last_SQL_Errno": 1062, "Last_SQL_Error": "Duplicate entry"},
     "SQL thread error 1062"),
    ({"Slave_SQL_Running": "No"}, "SQL thread is not running"),
    ({"Slave_IO_Running": "No", "Last_IO_Errno": 1236, "Last_IO_Error": "not in binlog"},
     "IO thread error 1236"),
    ({"Slave_IO_Running": "No", "Last_IO_Errno": 1045, "Last_IO_Error": "Access denied"},
     "IO thread error 1045"),
    ({"Slave_IO_Running": "No"}, "IO thread is stopped"),
])
def test_replica_problems(changes: dict, problem: str | None) -> None:
    status = ReplicaStatus.from_row({**ROW, **changes})
    found = status.problem(max_lag=60)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_a_replica_refused_by_its_primary_for_unknown_gtids_has_diverged() -> None:
    assert ReplicaStatus.from_row({**ROW, "Last_IO_Errno": 1236}).diverged
    unreachable = ReplicaStatus.from_row({**ROW, "Slave_IO_Running": "Connecting"})
    assert unreachable.primary_unreachable and not unreachable.diverged
