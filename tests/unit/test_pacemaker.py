"""Clone meta attributes, notify data and promotion scores."""

from __future__ import annotations

import stat
import time

import pytest

from ocf_lib.deadline import Deadline
from ocf_lib.environment import OcfEnvironment
from ocf_lib.log import Logger
from ocf_lib.pacemaker import CloneMeta, NotifyData, PromotionScore, promotion_attribute_name

pytestmark = pytest.mark.unit


def test_promotable_clone_is_recognised_by_promoted_max_or_master_max() -> None:
    meta = CloneMeta.from_meta({"clone_max": "2", "clone_node_max": "1", "promoted_max": "1",
                                "promoted_node_max": "1", "notify": "true"})
    assert meta.is_clone and meta.is_promotable and meta.notify
    assert CloneMeta.from_meta({"clone_max": "2", "master_max": "1"}).promoted_max == 1
    plain = CloneMeta.from_meta({})
    assert not plain.is_clone and not plain.is_promotable and not plain.notify


def test_notify_data_pairs_resources_with_nodes() -> None:
    data = NotifyData.from_meta({
        "notify_type": "post", "notify_operation": "promote",
        "notify_promote_resource": "vip:1", "notify_promote_uname": "node2",
        "notify_promoted_resource": " ", "notify_promoted_uname": " ",
        "notify_unpromoted_resource": "vip:0 vip:1", "notify_unpromoted_uname": "node1 node2",
        "notify_active_resource": "vip:0 vip:1", "notify_active_uname": "node1 node2",
        "notify_available_uname": "node1 node2 node3", "notify_all_uname": "node1 node2 node3"})
    assert data.key == "post-promote"
    assert data.promoting == ("node2",) and data.promoted == ()
    assert data.unpromoted == ("node1", "node2")
    assert data.sets["active"][1].resource == "vip:1"
    assert data.available == ("node1", "node2", "node3")


def test_notify_data_falls_back_to_legacy_master_slave_names() -> None:
    data = NotifyData.from_meta({"notify_type": "pre", "notify_operation": "demote",
                                 "notify_master_resource": "d:0", "notify_master_uname": "a",
                                 "notify_slave_resource": "d:1", "notify_slave_uname": "b",
                                 "notify_demote_resource": "d:0", "notify_demote_uname": "a"})
    assert (data.promoted, data.unpromoted, data.demoting) == (("a",), ("b",), ("a",))


def test_notify_data_without_notify_variables_is_empty() -> None:
    data = NotifyData.from_meta({})
    assert data.key == "-" and all(not peers for peers in data.sets.values())


def test_promotion_attribute_drops_clone_suffix() -> None:
    assert promotion_attribute_name("drbd0:1") == "master-drbd0"
    assert promotion_attribute_name("vip") == "master-vip"


def score_for(tmp_path, feature_set: str = "3.16.2") -> PromotionScore:
    environ = {"OCF_RESOURCE_INSTANCE": "vip", "HA_RSCTMP": str(tmp_path),
               "OCF_RESKEY_crm_feature_set": feature_set}
    env = OcfEnvironment.from_environ(["agent", "monitor"], environ)
    return PromotionScore(env, "floating-ip", Logger("floating-ip", "vip", {}))


@pytest.fixture
def fake_crm_attribute(tmp_path, monkeypatch):
    """A crm_attribute that records its argv, or hangs: edges a real cluster cannot produce on
    demand."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"

    def install(body: str) -> None:
        script = bin_dir / "crm_attribute"
        script.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)

    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/sbin:/usr/bin:/bin")
    install.calls = calls  # type: ignore[attr-defined]
    return install


def test_unchanged_score_is_not_rewritten(tmp_path, fake_crm_attribute) -> None:
    fake_crm_attribute("exit 0")
    score = score_for(tmp_path)
    deadline = Deadline(10)
    assert score.set(100, deadline) and score.set(100, deadline) and score.set(5, deadline)
    assert score.delete(deadline) and score.delete(deadline)
    assert fake_crm_attribute.calls.read_text().splitlines() == [
        "--promotion --update 100", "--promotion --update 5", "--promotion --delete"]


def test_old_pacemaker_gets_the_master_attribute(tmp_path, fake_crm_attribute) -> None:
    fake_crm_attribute("exit 0")
    score_for(tmp_path, feature_set="3.2.0").set(10, Deadline(10))
    assert fake_crm_attribute.calls.read_text().strip() == \
        "--lifetime reboot --name master-vip --update 10"


def test_hung_crm_attribute_is_bounded_by_the_deadline(tmp_path, fake_crm_attribute) -> None:
    fake_crm_attribute("exec sleep 60")
    score = score_for(tmp_path)
    started = time.monotonic()
    assert score.set(100, Deadline(1.5, margin_s=0.5)) is False
    assert time.monotonic() - started < 2.0


def test_real_crm_attribute_without_cluster_fails_cleanly(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/usr/sbin:/usr/bin:/bin")
    score = score_for(tmp_path)
    assert score.set(100, Deadline(10)) is False
    assert not score.cache.exists()  # a failed write is retried next time
