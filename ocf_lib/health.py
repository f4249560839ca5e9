"""Health checks of a protected service: a TCP connect, or a command's exit status."""

from __future__ import annotations

from .addresses import parse_endpoint_host
from .record import record

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Sequence



@record
class HealthResult:
    ok: bool
    detail: str


def parse_endpoint(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[IPV6]:PORT` -> (host, port); ValueError with the reason otherwise."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not host:
        raise ValueError("must be HOST:PORT (or [IPv6]:PORT)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text, 10)
    except ValueError:
        raise ValueError("the port is not a number") from None
    if not 1 <= port <= 65535:
        raise ValueError("the port must be between 1 and 65535")
    return parse_endpoint_host(host), port


def parse_command(text: str) -> list[str]:
    """A command line split the way a shell would split it, but never run by a shell."""
    import shlex

    try:
        argv = shlex.split(text)
    except ValueError as err:
        raise ValueError(f"cannot split the command: {err}") from None
    if not argv:
        raise ValueError("the command is empty")
    if not argv[0].startswith("/"):
        raise ValueError("the program must be given by its absolute path")
    return argv


def check_tcp(host: str, port: int, timeout: float) -> HealthResult:
    from .tcp import connect_problem

    problem = connect_problem(host, port, timeout)
    if problem is not None:
        return HealthResult(False, problem)
    return HealthResult(True, f"{host}:{port} accepts connections")


def check_command(argv: Sequence[str], timeout: float) -> HealthResult:
    import subprocess

    try:
        completed = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True,
                                   timeout=timeout, text=True)
    except FileNotFoundError:
        return HealthResult(False, f"{argv[0]} is not installed")
    except OSError as err:  # not executable, a directory, a bad binary: unhealthy, not a crash
        return HealthResult(False, f"cannot run {argv[0]}: {err.strerror or err}")
    except subprocess.TimeoutExpired:
        return HealthResult(False, f"{argv[0]} did not answer within {timeout:g}s")
    if completed.returncode == 0:
        return HealthResult(True, f"{argv[0]} exited 0")
    last = (completed.stderr.strip() or completed.stdout.strip()).splitlines()
    return HealthResult(False, f"{argv[0]} exited {completed.returncode}"
                               + (f": {last[-1]}" if last else ""))


def check_health_tcp(text: str) -> str:
    """Parameter check: a normalised HOST:PORT."""
    host, port = parse_endpoint(text)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_health_command(text: str) -> str:
    """Parameter check: a command line that splits into an absolute program and arguments."""
    parse_command(text)
    return text
