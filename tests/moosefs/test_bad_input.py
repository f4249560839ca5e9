"""moosefs-master with bad input: the proper OCF code, an exit reason, never a traceback, nothing
started, and no parameter value ever reaching a shell."""

from __future__ import annotations

import os
import shutil

import pytest

from ocf_lib.codes import (
    OCF_ERR_ARGS,
    OCF_ERR_CONFIGURED,
    OCF_ERR_INSTALLED,
    OCF_NOT_RUNNING,
    OCF_SUCCESS,
)

pytestmark = pytest.mark.netns


def write_config(cell, text: str) -> str:
    path = cell.path("bad.cfg")
    with open(path, "w") as config:
        config.write(text)
    return path


CASES = [
    # (id, parameters ({cfg}/{mount}/{cell} filled in), config text, code, reason fragment)
    ("relative-config", {"config": "mfsmaster.cfg"}, None, OCF_ERR_CONFIGURED,
     "config='mfsmaster.cfg': must be an absolute path"),
    ("missing-config", {"config": "/nonexistent/mfsmaster.cfg"}, None, OCF_ERR_INSTALLED,
     "/nonexistent/mfsmaster.cfg does not exist"),
    # the configuration file is this node's: a broken one bans the node (2), not the resource
    ("broken-config-line", {"config": "{cfg}"}, "DATA_PATH /x\n", OCF_ERR_ARGS,
     "line 1 is not KEY = VALUE"),
    ("relative-data-path-in-config", {"config": "{cfg}"}, "DATA_PATH = x\n", OCF_ERR_ARGS,
     "is not an absolute path"),
    ("bad-port-in-config", {"config": "{cfg}"}, "MATOCL_LISTEN_PORT = 0\n", OCF_ERR_ARGS,
     "MATOCL_LISTEN_PORT = '0' is not a TCP port"),
    ("relative-data-path", {"config": "{cfg}", "data_path": "mfs"}, "", OCF_ERR_CONFIGURED,
     "data_path='mfs': must be an absolute path"),
    ("relative-data-mount", {"config": "{cfg}", "data_mount": "drbd"}, "", OCF_ERR_CONFIGURED,
     "data_mount='drbd': must be an absolute path"),
    ("missing-mount-point", {"config": "{cfg}", "data_mount": "/nonexistent"}, "", OCF_ERR_ARGS,
     "mount point /nonexistent does not exist"),
    ("bad-master-host", {"config": "{cfg}", "master_host": "-oProxyCommand"}, "",
     OCF_ERR_CONFIGURED, "not a host name or IP address"),
    ("mount-and-master-host", {"config": "{cfg}", "data_mount": "{mount}",
                               "master_host": "10.0.0.1"}, "", OCF_ERR_CONFIGURED,
     "exclude each other"),
    ("shell-in-config-path", {"config": "/tmp/$(touch {canary})"}, None, OCF_ERR_INSTALLED,
     "does not exist"),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_validate_all_refuses(master, replicated, tmp_path, case) -> None:
    _, params, text, code, reason = case
    canary = str(tmp_path / "canary")
    cfg = write_config(master.cell, text or "")
    filled = {key: value.format(cfg=cfg, mount=replicated, canary=canary)
              for key, value in params.items()}
    result = master("validate-all", params=filled)
    assert (result.rc, reason in (result.exit_reason or "")) == (code, True), result.stderr
    assert "Traceback" not in result.stderr
    started = master("start", params=filled)
    assert started.rc == code and "Traceback" not in started.stderr
    assert master("monitor", params=filled).rc == OCF_NOT_RUNNING   # a probe says "not here"
    assert master("stop", params=filled).rc == OCF_SUCCESS
    assert not os.path.exists(canary)
    assert master.pid() is None


def test_primitive_start_needs_data_mount(master) -> None:
    del master.params["data_mount"]
    assert master("validate-all").rc == OCF_SUCCESS   # pcs validates without meta attributes
    refused = master("start")
    assert refused.rc == OCF_ERR_CONFIGURED and "set data_mount" in refused.exit_reason
    assert master.pid() is None


def test_data_path_on_another_filesystem_than_data_mount(master, cell, replicated) -> None:
    from tests.lab.moosefs import make_data_dir

    master.params["data_path"] = make_data_dir(cell.path("local-disk"), metadata=True)
    refused = master("start")
    assert refused.rc == OCF_ERR_CONFIGURED
    assert f"is not on the filesystem mounted at {replicated}" in refused.exit_reason
    assert master.pid() is None


def test_missing_mfsmaster_program(master, tmp_path) -> None:
    only_ip = tmp_path / "bin"   # `ip netns exec` is found, mfsmaster is not
    only_ip.mkdir()
    (only_ip / "ip").symlink_to(shutil.which("ip"))
    result = master("validate-all", env={"PATH": str(only_ip)})
    assert result.rc == OCF_ERR_INSTALLED and "install moosefs-master" in result.exit_reason
