"""A TCP connect check for monitors: `_socket` directly, because `import socket` costs a monitor
about 3 ms (selectors, enum, array) and a connect needs none of it."""

from __future__ import annotations

import _socket


def connect_problem(host: str, port: int, timeout: float) -> str | None:
    """None when `host:port` accepts a TCP connection within `timeout`, else why not.

    The connection is closed at once (no byte is sent), which services log at most as a
    client that came and went.
    """
    try:
        # bytes, not str: a str host goes through the IDNA codec, whose import (stringprep,
        # re, enum) costs more than the whole check
        candidates = _socket.getaddrinfo(host.encode("ascii"), port, _socket.AF_UNSPEC,
                                         _socket.SOCK_STREAM)
    except UnicodeEncodeError:
        return f"{host!r} is not an ASCII host name"
    except OSError as err:
        return f"cannot resolve {host}: {err.strerror or err}"
    problem = f"{host}:{port} has no address"
    for family, kind, proto, _name, address in candidates:
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(max(timeout, 0.001))
            sock.connect(address)
            return None
        except OSError as err:
            reason = "timed out" if isinstance(err, TimeoutError) else (err.strerror or str(err))
            problem = f"{host}:{port} does not accept connections: {reason}"
        finally:
            sock.close()
    return problem
