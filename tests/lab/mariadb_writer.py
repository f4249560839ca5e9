"""A client that keeps writing rows to whichever server accepts writes (run as a script).

    python3 mariadb_writer.py STOP_FILE USER PASSWORD PORT ADDRESS...

Inserts id 1, 2, 3, … into test.acked (autocommit) on the first address that takes the
write (replicas are read-only and refuse), and prints `ack ID ADDRESS EPOCH` for every
acknowledged commit, flushed at once: only printed rows count as promised to the client.
Runs until STOP_FILE exists.
"""

from __future__ import annotations

import os
import sys
import time

import pymysql


def main() -> None:
    stop_file, user, password, port, *addresses = sys.argv[1:]
    connection = None
    where = ""
    next_id = 1
    while not os.path.exists(stop_file):
        if connection is None:
            for address in addresses:
                try:
                    connection = pymysql.connect(host=address, port=int(port), user=user,
                                                 password=password, ssl_disabled=True,
                                                 connect_timeout=1, read_timeout=3,
                                                 write_timeout=3, autocommit=True)
                    where = address
                    break
                except pymysql.err.MySQLError:
                    continue
            if connection is None:
                time.sleep(0.02)
                continue
        try:
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO test.acked (id) VALUES (%s)", (next_id,))
            print(f"ack {next_id} {where} {time.time():.3f}", flush=True)
            next_id += 1
        except pymysql.err.MySQLError:
            # Refused (read-only), lost, or unknown: that id is never reused, so a commit we
            # could not see acknowledged can never be counted as one.
            next_id += 1
            try:
                connection.close()
            except Exception:
                pass
            connection = None
            addresses = addresses[1:] + addresses[:1]   # try the next server first
        time.sleep(0.005)


if __name__ == "__main__":
    main()
