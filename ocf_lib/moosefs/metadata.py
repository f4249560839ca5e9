"""How fresh is the metadata in a data directory: the version a restore would reach.

A metadata file starts with an 8-byte signature ("MFSM 2.0") and its version, a big-endian
64-bit integer; "MFSM NEW" is the empty file of a new filesystem (version 0). A changelog line is
"ID: TIMESTAMP|OPERATION(...)": the change with that id. `mfsmaster -a` applies the changelogs
on top of the newest metadata file, so a directory's version is the larger of its metadata
versions and the last change id + 1. Master and metalogger files count alike: both are what
`mfsmaster -a` restores from.
"""

from __future__ import annotations

import os

from ..record import record

METADATA_FILES = ("metadata.mfs", "metadata.mfs.back", "metadata_ml.mfs.back")
# The changelog being written is always number 0; older ones only hold older ids.
CURRENT_CHANGELOGS = ("changelog.0.mfs", "changelog_ml.0.mfs", "changelog_ml_back.0.mfs")
# What a master leaves in its data directory (the metalogger's files carry "_ml").
MASTER_FILE_PREFIXES = ("metadata.mfs", "metadata.crc", "changelog.")
NEW_FILESYSTEM = b"MFSM NEW"
TAIL_BYTES = 4096
MAX_TAIL_BYTES = 1 << 20


def metadata_version(header: bytes) -> int | None:
    """The version in a metadata file's first 16 bytes; None for anything not metadata."""
    if header[:8] == NEW_FILESYSTEM:
        return 0
    if len(header) < 16 or header[:5] != b"MFSM " or header[5:8] not in (b"2.0", b"1.6",
                                                                          b"1.5"):
        return None
    return int.from_bytes(header[8:16], "big")


def last_change_id(tail: bytes) -> int | None:
    """The id of the last complete changelog line in `tail` (the end of a changelog file)."""
    for line in reversed(tail.split(b"\n")):
        number, colon, _rest = line.partition(b":")
        if colon and number.isdigit():
            return int(number)
    return None


@record
class LocalMetadata:
    """The freshest restorable state in a data directory; version None: nothing to restore."""

    version: int | None
    source: str = ""   # the file that decided it

    @property
    def exists(self) -> bool:
        return self.version is not None


def _read_head(path: str) -> bytes | None:
    try:
        with open(path, "rb") as data:
            return data.read(16)
    except OSError:
        return None


def _read_last_id(path: str) -> int | None:
    try:
        with open(path, "rb") as log:
            size = log.seek(0, os.SEEK_END)
            chunk = TAIL_BYTES
            while True:
                start = max(0, size - chunk)
                log.seek(start)
                tail = log.read(size - start)
                found = last_change_id(tail if start == 0 else tail.partition(b"\n")[2])
                if found is not None or start == 0 or chunk >= MAX_TAIL_BYTES:
                    return found
                chunk *= 4
    except OSError:
        return None


def local_metadata(data_path: str) -> LocalMetadata:
    best = LocalMetadata(None)
    for name in METADATA_FILES:
        head = _read_head(os.path.join(data_path, name))
        version = metadata_version(head) if head else None
        if version is not None and (best.version is None or version > best.version):
            best = LocalMetadata(version, name)
    for name in CURRENT_CHANGELOGS:
        last = _read_last_id(os.path.join(data_path, name))
        # A changelog alone (no metadata file) cannot be restored from.
        if last is not None and best.version is not None and last + 1 > best.version:
            best = LocalMetadata(last + 1, name)
    return best


def master_files(names: list[str]) -> list[str]:
    """Of a directory's entries, those a master wrote (not a metalogger's, not lock files)."""
    return sorted(name for name in names
                  if name.startswith(MASTER_FILE_PREFIXES) and "_ml" not in name)
