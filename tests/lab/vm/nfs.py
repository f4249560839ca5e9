"""One kernel NFS server in a guest of the VM pair, run by the nfsserver agent without a cluster:
an ext4 disk mounted at SHARED (standing in for the DRBD filesystem) holds the export and the NFS
state directory. Shared by the agent's VM test and `make bench`.

The guests' / is a 9p overlay nfsd cannot build an NFSv4 pseudo-root from: the export is the
NFSv4 root itself (fsid=0), and NFSv4 clients mount 192.168.77.1:/.
"""

from __future__ import annotations

from collections.abc import Mapping

from tests.lab.agents import agent_environment, agent_path
from tests.lab.vm.guest import Guest, Result

SHARED = "/srvnfs"
EXPORT_DIR = f"{SHARED}/data"
CLIENTS = "192.168.77.0/24"
EXPORT_OPTIONS = "rw,sync,no_root_squash,no_subtree_check"
RSCTMP = "/run/resource-agents"   # the agents' default
PARAMS = {"exports": f"{EXPORT_DIR} {CLIENTS}({EXPORT_OPTIONS},fsid=0)",
          "shared_mountpoint": SHARED, "nfs_shared_infodir": f"{SHARED}/nfsinfo",
          "nfs_ip": "192.168.77.1", "nfs_server_scope": "nfs-vip", "grace_time": "10",
          "lease_time": "10", "threads": "4"}


def environment(interval: int = 10000, **params: str) -> dict[str, str]:
    """The agent's environment for the server here; `params` override PARAMS."""
    return agent_environment("nfs", {**PARAMS, **params},
                             {"interval": str(interval), "timeout": "60000"})


def run_agent(guest: Guest, action: str, interval: int = 10000, **params: str) -> Result:
    return run_in(guest, [agent_path("nfsserver"), action], environment(interval, **params))


def run_in(guest: Guest, argv: list[str], env: Mapping[str, str],
           timeout: float = 120) -> Result:
    """argv in the guest with exactly env (the guest agent's own environment is not passed)."""
    return guest.run(["env", "-i", *(f"{k}={v}" for k, v in env.items()), *argv],
                     timeout=timeout)


def prepare_disk(guest: Guest) -> None:
    """A fresh ext4 on the guest's disk, mounted at SHARED, with the exported directory."""
    guest.run(["mkfs.ext4", "-q", "-F", "/dev/vda"], check=True)
    guest.run(["mkdir", "-p", SHARED], check=True)
    guest.run(["mount", "/dev/vda", SHARED], check=True)
    guest.run(["mkdir", "-p", EXPORT_DIR], check=True)
