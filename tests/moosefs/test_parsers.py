"""The MooseFS parsers against real captures (tests/data/moosefs) and the edge cases around them."""

from __future__ import annotations

import os

import pytest

from ocf_lib.moosefs import config, metadata, mfscli, score
from ocf_lib.pacemaker import parse_attrd_values

pytestmark = pytest.mark.unit

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "moosefs")


def captured(name: str) -> str:
    with open(os.path.join(DATA, name), encoding="utf-8") as capture:
        return capture.read()


def test_status_of_a_running_master_with_a_chunkserver() -> None:
    status = mfscli.parse_status(captured("sig-scs-combined.txt"))
    assert status.info["master version"] == "3.0.117" and status.info["files"] == "3"
    assert status.chunkservers == ("10.99.0.1:9422",) and status.disconnected == ()
    assert status.save_status == "-" and status.save_problem is None


def test_full_info_parses_too() -> None:
    status = mfscli.parse_status(captured("sin-running.txt"))
    assert status.info["all fs objects"] == "4" and status.info["chunks"] == "3"


def test_a_lost_chunkserver_is_told_apart_from_a_connected_one() -> None:
    status = mfscli.parse_status(captured("sig-running.txt") + captured("scs-none.txt"))
    assert status.chunkservers == () and status.disconnected == ("10.99.0.1:9422",)
    assert mfscli.parse_status(captured("scs-one-chunkserver.txt")
                               + captured("sig-running.txt")).chunkservers == ("10.99.0.1:9422",)


def test_a_failed_background_save_is_a_problem() -> None:
    status = mfscli.parse_status(captured("sig-saved-in-foreground.txt"))
    assert status.save_problem == "last metadata save: Saved in foreground"


def test_no_master_answering_is_an_error_despite_rc_0() -> None:
    with pytest.raises(ValueError, match="does not answer"):
        mfscli.parse_status(captured("no-master.txt"))
    with pytest.raises(ValueError, match="no master information"):
        mfscli.parse_status(captured("scs-one-chunkserver.txt"))


def test_metadata_versions_from_headers_and_changelogs() -> None:
    with open(os.path.join(DATA, "metadata_ml.mfs.back.head"), "rb") as head:
        assert metadata.metadata_version(head.read()) == 17
    assert metadata.metadata_version(b"MFSM NEW") == 0
    assert metadata.metadata_version(b"not metadata at all") is None
    assert metadata.metadata_version(b"MFSM 2.0\0\0") is None   # truncated
    with open(os.path.join(DATA, "changelog_ml.0.mfs"), "rb") as log:
        assert metadata.last_change_id(log.read()) == 21
    assert metadata.last_change_id(b"7: 1|A(1)\n8: 1|B(2)\n9: 1|C(") == 9  # torn last line
    assert metadata.last_change_id(b"") is None


def test_local_metadata_takes_the_freshest_restorable_file(tmp_path) -> None:
    assert not metadata.local_metadata(str(tmp_path)).exists
    (tmp_path / "changelog_ml.0.mfs").write_bytes(b"30: 1|X(1)\n")
    assert not metadata.local_metadata(str(tmp_path)).exists   # changelogs alone: nothing
    with open(os.path.join(DATA, "metadata_ml.mfs.back.head"), "rb") as head:
        (tmp_path / "metadata_ml.mfs.back").write_bytes(head.read())
    assert metadata.local_metadata(str(tmp_path)) == metadata.LocalMetadata(
        31, "changelog_ml.0.mfs")
    (tmp_path / "metadata.mfs").write_bytes(b"MFSM 2.0" + (40).to_bytes(8, "big"))
    assert metadata.local_metadata(str(tmp_path)) == metadata.LocalMetadata(40, "metadata.mfs")


def test_a_long_changelog_tail_is_read_back_far_enough(tmp_path) -> None:
    line = b"5: 1|SETXATTR(" + b"x" * 10000 + b")\n"
    (tmp_path / "metadata.mfs").write_bytes(b"MFSM NEW")
    (tmp_path / "changelog.0.mfs").write_bytes(b"4: 1|A(1)\n" + line)
    assert metadata.local_metadata(str(tmp_path)).version == 6


def test_master_files_are_those_a_master_wrote() -> None:
    names = ["metadata.mfs", "metadata.mfs.back.1", "changelog.0.mfs", "changelog_ml.0.mfs",
             "metadata_ml.mfs.back", ".mfsmaster.lock", "stats.mfs", "metadata.crc"]
    assert metadata.master_files(names) == ["changelog.0.mfs", "metadata.crc", "metadata.mfs",
                                            "metadata.mfs.back.1"]


def test_master_configuration() -> None:
    found = config.MasterConfig.from_text(
        "# comment\nDATA_PATH = /srv/mfs\nMATOCL_LISTEN_PORT = 19421 # trailing\n"
        "MATOCL_LISTEN_HOST = 10.1.2.3\n")
    assert (found.data_path, found.client_address, found.client_port) == (
        "/srv/mfs", "10.1.2.3", 19421)
    defaults = config.MasterConfig.from_text("")
    assert (defaults.data_path, defaults.client_address, defaults.client_port,
            defaults.metalogger_port) == ("/var/lib/mfs", "127.0.0.1", 9421, 9419)
    assert found.with_data_path("/x").data_path == "/x"


@pytest.mark.parametrize("mode, synchronous_mount, durable", [
    # the default: the lab's power cut lost fsync'd files with it even on a sync mount
    ("", True, False), ("0", True, False),
    ("1", False, False), ("1", True, True),
    ("2", False, True), ("2", True, True),
])
def test_changelog_is_durable_only_when_written_before_the_answer(
        mode: str, synchronous_mount: bool, durable: bool) -> None:
    found = config.MasterConfig.from_text(f"CHANGELOG_SAVE_MODE = {mode}\n")
    assert (found.changelog_risk(synchronous_mount) is None) == durable
    assert found.with_data_path("/x").changelog_save_mode == found.changelog_save_mode


@pytest.mark.parametrize("text, error", [
    ("DATA_PATH relative", "not KEY = VALUE"),
    ("DATA_PATH = relative/path", "not an absolute path"),
    ("MATOCL_LISTEN_PORT = 70000", "not a TCP port"),
    ("MATOML_LISTEN_PORT = x", "not a TCP port"),
    ("CHANGELOG_SAVE_MODE = 3", "not 0, 1 or 2"),
])
def test_broken_master_configuration(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        config.MasterConfig.from_text(text)


def test_metalogger_configuration_follows_the_agent() -> None:
    base = "BACK_LOGS = 10\nMASTER_HOST = old # comment\nDATA_PATH=/elsewhere\n"
    text = config.metalogger_config(base, "/srv/mfs", "10.0.0.9", 9419)
    assert config.parse_config(text) == {"BACK_LOGS": "10", "DATA_PATH": "/srv/mfs",
                                         "MASTER_HOST": "10.0.0.9", "MASTER_PORT": "9419"}


@pytest.mark.parametrize("host", ["-oops", "a b", "", "x;y", "a" * 254])
def test_bad_master_hosts(host: str) -> None:
    with pytest.raises(ValueError):
        config.check_host(host)


def test_attrd_values() -> None:
    text = ('name="pyha-moosefs-mfs-version" host="node1" value=""\n'
            'name="pyha-moosefs-mfs-version" host="node2" value="120"\n'
            'name="pyha-moosefs-mfs-version" host="node3" value="118"\n')
    assert parse_attrd_values(text) == {"node2": "120", "node3": "118"}
    assert parse_attrd_values("") == {}


@pytest.mark.parametrize("mine, published, expected", [
    (None, {}, None),                                        # nothing to restore from
    (None, {"node2": "50"}, None),
    (50, {}, score.FRESHEST_SCORE),                          # alone (or no cluster to ask)
    (50, {"node1": "50", "node2": "50"}, score.FRESHEST_SCORE),   # ties all score
    (50, {"node1": "50", "node2": "51"}, None),              # a fresher copy exists
    (50, {"node1": "99"}, score.FRESHEST_SCORE),             # my own stale publication
    (50, {"node2": "", "node3": "junk"}, score.FRESHEST_SCORE),
])
def test_promotion_decision(mine, published, expected) -> None:
    decision = score.promotion_decision(mine, published, "node1")
    assert decision.score == expected, decision.reason
    if mine is not None and expected is None:
        assert decision.fresher_peer == "node2" and "node2 holds fresher" in decision.reason
