"""mfscli's plain-text output (not a tty: tab-separated `section:<TAB>field...` lines).

`mfscli -H HOST -P PORT -SIG -SCS` prints "master info:" lines (name, value) and one "chunk
servers:" line per connected chunkserver (ip, port, id, label, version, ...), or "Disconnected
chunk servers:" lines for those the master remembers but has lost. It exits 0 even when no
master answers ("Working master servers not found"), so that text is the failure signal.
"""

from __future__ import annotations

from ..record import record

NO_MASTER = "Working master servers not found"
# "last save status" values of mfscli 3.0.117; "-" = no save yet since the master started.
SAVE_OK = ("Saved in background", "Downloaded from another master", "-")


@record
class MasterStatus:
    info: dict
    chunkservers: tuple           # "ip:port" of every connected chunkserver
    disconnected: tuple           # "ip:port" of chunkservers the master lost

    @property
    def save_status(self) -> str:
        return self.info.get("last save status", "-")

    @property
    def save_problem(self) -> str | None:
        """Why the last metadata save is a worry, or None. "Saved in foreground" means the
        background writer failed and the master stalled while saving."""
        status = self.save_status
        return None if status in SAVE_OK else f"last metadata save: {status}"


def parse_status(text: str) -> MasterStatus:
    """mfscli -SIG -SCS output -> MasterStatus; ValueError when no master answered."""
    if NO_MASTER in text:
        raise ValueError("the master does not answer mfscli")
    info: dict[str, str] = {}
    servers: list[str] = []
    lost: list[str] = []
    for line in text.splitlines():
        section, colon, rest = line.partition(":")
        fields = [field.strip() for field in rest.split("\t") if field.strip()]
        if not colon or not fields:
            continue
        if section == "master info" and len(fields) >= 2:
            info[fields[0]] = fields[1]
        elif section == "chunk servers" and len(fields) >= 2:
            servers.append(f"{fields[0]}:{fields[1]}")
        elif section == "Disconnected chunk servers" and len(fields) >= 2:
            lost.append(f"{fields[0]}:{fields[1]}")
    if "master version" not in info:
        raise ValueError("mfscli printed no master information")
    return MasterStatus(info, tuple(servers), tuple(lost))
