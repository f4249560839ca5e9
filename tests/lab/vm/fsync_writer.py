"""A client's workload on a network filesystem, run inside a guest: numbered files written and
fsync'ed one after the other, each recorded once acknowledged; and the check that every
recorded one is intact.

    fsync_writer.py write DIRECTORY LOG STOPFILE INTERVAL [keep-going]
    fsync_writer.py verify DIRECTORY LOG    -> JSON {"checked": n, "bad": ["f000012: ...", ...]}

The log (on the guest's tmpfs, not on the filesystem under test) has a line `NUMBER
MONOTONIC_SECONDS` per file whose write and fsync returned: what the server acknowledged as
stable. On a hard NFS mount a write during a failover blocks until the new server answers, so
the gaps between log lines are what the client saw of the outage. A MooseFS client gives up on
an operation after its retries: with `keep-going` a failed file is reported on stderr, left out
of the log (nothing was acknowledged) and the next number is tried.
"""

from __future__ import annotations

import json
import os
import sys
import time


def name(number: int) -> str:
    return f"f{number:06d}"


def content(number: int) -> bytes:
    return f"pyha failover test, file {number}\n".encode() * 16


def write_one(directory: str, number: int) -> None:
    fd = os.open(os.path.join(directory, name(number)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 0o644)
    try:
        os.write(fd, content(number))
        os.fsync(fd)
    finally:
        os.close(fd)


def write(directory: str, log_path: str, stop_path: str, interval: float,
          keep_going: bool) -> None:
    number = 0
    with open(log_path, "a", buffering=1) as log:
        while not os.path.exists(stop_path):
            number += 1
            try:
                write_one(directory, number)
            except OSError as err:
                if not keep_going:
                    raise
                print(f"{time.monotonic():.3f} {name(number)} not written: {err}",
                      file=sys.stderr, flush=True)
            else:
                log.write(f"{number} {time.monotonic():.3f}\n")
            time.sleep(interval)


def acknowledged(log_path: str) -> list[tuple[int, float]]:
    with open(log_path) as log:
        return [(int(words[0]), float(words[1])) for words in map(str.split, log)
                if len(words) == 2]


def verify(directory: str, log_path: str) -> dict:
    bad = []
    entries = acknowledged(log_path)
    for number, _ in entries:
        try:
            with open(os.path.join(directory, name(number)), "rb") as file:
                data = file.read()
        except OSError as err:
            bad.append(f"{name(number)}: {err}")
            continue
        if data != content(number):
            bad.append(f"{name(number)}: {len(data)} bytes, not the {len(content(number))} "
                       f"written")
    return {"checked": len(entries), "bad": bad}


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "write":
        write(args[0], args[1], args[2], float(args[3]), args[4:] == ["keep-going"])
    elif command == "verify":
        print(json.dumps(verify(args[0], args[1])))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
