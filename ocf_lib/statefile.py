"""Small per-instance state files in HA_RSCTMP (tmpfs: they vanish on reboot, as they must).

A state file records what an agent did ("I started this", "the listener runs as pid N") so a
probe after a crash or reboot never mistakes leftovers for a running resource.
"""

from __future__ import annotations

import os


class StateFile:
    def __init__(self, rsctmp: str, agent_name: str, instance: str, suffix: str) -> None:
        safe_instance = instance.replace("/", "_")
        self.path = os.path.join(rsctmp, f"pyha-{agent_name}-{safe_instance}.{suffix}")

    def read(self) -> str | None:
        try:
            with open(self.path, encoding="utf-8") as state:
                return state.read()
        except FileNotFoundError:
            return None

    def write(self, text: str) -> None:
        """Atomically replace the file, so a reader never sees half of it."""
        os.makedirs(os.path.dirname(self.path), mode=0o755, exist_ok=True)
        temporary = f"{self.path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as state:
            state.write(text)
        os.replace(temporary, self.path)

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def age(self) -> float | None:
        """Seconds since last written, or None if absent."""
        import time

        try:
            return time.time() - os.stat(self.path).st_mtime
        except FileNotFoundError:
            return None
