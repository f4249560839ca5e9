"""What both NFS servers are told: one resource's validated settings."""

from __future__ import annotations

import os

from ..record import record
from .exports import Export


@record
class NfsConfig:
    instance: str
    exports: tuple[Export, ...]
    infodir: str | None          # nfs_shared_infodir, bind-mounted over /var/lib/nfs
    nfs_ips: tuple[str, ...]     # sm-notify -v for each
    scope: str | None            # NFSv4 server scope, the same on every node
    nfsv4_only: bool
    grace_time: int | None
    lease_time: int | None
    threads: int
    rsctmp: str

    def runtime_path(self, suffix: str) -> str:
        """A file of this instance in HA_RSCTMP (tmpfs: gone after a reboot, as it must be)."""
        safe = self.instance.replace("/", "_")
        return os.path.join(self.rsctmp, f"pyha-nfsserver-{safe}.{suffix}")
