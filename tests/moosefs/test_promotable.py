"""moosefs-master as a promotable clone, run by hand the way Pacemaker would (the cluster test
runs it under Pacemaker): Unpromoted instances keep metalogger copies, promotion restores the
master from them, and files a client fsync'd before the master was killed are all there."""

from __future__ import annotations

import os
import signal

import pytest

from ocf_lib.moosefs.metadata import local_metadata
from tests.lab.moosefs import (
    initialise_metadata,
    make_data_dir,
    read_when_served,
    wait_until,
    write_synced,
)
from tests.moosefs.conftest import PROMOTABLE, Master, gone

pytestmark = pytest.mark.netns


def instance(cell, tmp_path, name: str, **params: str) -> Master:
    rsctmp = tmp_path / f"rsctmp-{name}"
    rsctmp.mkdir()
    config = cell.master_config(name, cell.path(f"{name}-data"))
    return Master(cell, str(rsctmp), {"config": config, **params}, meta=PROMOTABLE)


def test_failover_restores_the_master_from_a_metalogger(cell, tmp_path) -> None:
    first = instance(cell, tmp_path, "alpha", master_host=cell.address)
    second = instance(cell, tmp_path, "bravo")   # follows whoever notify says was promoted
    initialise_metadata(cell, first.data_path)

    assert first("start").rc == 0
    assert first.pid("mfsmetalogger") is not None and first.pid() is None
    assert first("monitor", interval=11000).rc == 0
    promoted = first("promote")
    assert promoted.rc == 0, promoted.stderr
    assert "mfsmaster -a" in promoted.stderr and first.pid("mfsmetalogger") is None
    assert first("monitor", interval=9000).rc == 8

    assert second("start").rc == 0   # creates its data directory, has no metadata yet
    assert not local_metadata(second.data_path).exists
    refused = second("promote")
    assert refused.rc == 1 and "no metadata" in refused.exit_reason
    notified = second("notify", meta={"notify_type": "post", "notify_operation": "promote",
                                      "notify_promote_resource": "mfs:0",
                                      "notify_promote_uname": cell.address})
    assert notified.rc == 0 and "follows" in notified.stderr
    wait_until(lambda: os.path.exists(os.path.join(second.data_path, "metadata_ml.mfs.back")),
               20, "the metalogger downloaded the metadata")

    cell.start_chunkserver()
    cell.wait_for_chunkservers()
    mount = cell.mount()
    files = {f"f{n}": os.urandom(3000 + n) for n in range(8)}
    for name, data in files.items():
        write_synced(os.path.join(mount, name), data)
    master_version = local_metadata(first.data_path).version
    wait_until(lambda: local_metadata(second.data_path).version >= master_version, 10,
               "the metalogger caught up with the master")

    os.kill(first.pid(), signal.SIGKILL)
    wait_until(lambda: first.pid() is None, 5, "master dead")
    failed = first("monitor", interval=9000)
    assert failed.rc == 9 and "gone without a demote" in failed.exit_reason
    assert first("stop").rc == 0

    takeover = second("promote")
    assert takeover.rc == 0, takeover.stderr
    assert second("monitor", interval=9000).rc == 8
    cell.wait_for_chunkservers()
    for name, data in files.items():
        assert read_when_served(os.path.join(mount, name)) == data
    assert second("monitor", interval=9000, depth=20).rc == 8

    cell.unmount_all()
    demoted = second("demote")
    assert demoted.rc == 0, demoted.stderr
    assert second.pid() is None and second.pid("mfsmetalogger") is not None
    assert second("monitor", interval=11000).rc == 0
    pid = second.pid("mfsmetalogger")
    assert second("stop").rc == 0 and gone(pid)
    assert second("monitor").rc == 7


def test_start_stops_a_master_left_running_and_runs_a_metalogger(cell, tmp_path) -> None:
    node = instance(cell, tmp_path, "charlie", master_host=cell.address)
    make_data_dir(node.data_path, metadata=True)
    cell.run(["mfsmaster", "-c", node.params["config"], "start"])
    assert node("monitor").rc == 8  # probe: a master runs here
    assert node("start").rc == 0
    assert node.pid() is None and node.pid("mfsmetalogger") is not None
    assert node("stop").rc == 0 and node.pid("mfsmetalogger") is None


def test_a_former_masters_files_are_moved_aside_while_another_master_runs(cell, tmp_path) -> None:
    current = instance(cell, tmp_path, "alpha", master_host=cell.address)
    initialise_metadata(cell, current.data_path)
    assert current("start").rc == 0 and current("promote").rc == 0
    former = instance(cell, tmp_path, "echo", master_host=cell.address)
    make_data_dir(former.data_path, metadata=True)   # left by a master that crashed here
    started = former("start")
    assert started.rc == 0 and "another node is master now" in started.stderr
    names = os.listdir(former.data_path)
    moved = [name for name in names if name.startswith("pyha-superseded-")]
    assert "metadata.mfs" not in names and len(moved) == 1
    assert os.listdir(os.path.join(former.data_path, moved[0])) == ["metadata.mfs"]
    assert former.pid("mfsmetalogger") is not None
