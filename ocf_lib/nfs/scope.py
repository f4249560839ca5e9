"""Running a program under another host name: how the kernel NFS server gets its NFSv4 server
scope.

Since Linux 5.7 nfsd takes the scope it announces from the host name (UTS namespace) of the
process that starts its threads. Clients reclaim NFSv4 state only from a server with the same
scope, so every node must start nfsd under one shared name (e.g. the floating address).
nfs-utils 2.6.2's rpc.nfsd has no --scope (newer versions do the same as this), so the agent runs
it in a UTS namespace of its own whose host name is the scope; the node's host name is untouched.
"""

from __future__ import annotations

from ..codes import OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCFError
from ..commands import CommandResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..deadline import Deadline
    from ..log import Logger

CLONE_NEWUTS = 0x04000000
MAX_SCOPE = 64  # the kernel's host name limit


def check_scope(text: str) -> str:
    if not 0 < len(text) <= MAX_SCOPE or not text.isascii() or not text.isprintable() \
            or " " in text:
        raise ValueError(f"must be 1 to {MAX_SCOPE} printable ASCII characters without blanks")
    return text


def run_with_hostname(argv: Sequence[str], hostname: str, deadline: Deadline,
                      log: Logger) -> CommandResult:
    """Run argv in a new UTS namespace named `hostname`, within the deadline."""
    import ctypes
    import socket
    import subprocess

    libc = ctypes.CDLL(None, use_errno=True)

    def enter_scope() -> None:  # runs in the child, between fork and exec
        if libc.unshare(CLONE_NEWUTS) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUTS) failed")
        socket.sethostname(hostname)

    argv = tuple(argv)
    budget = deadline.remaining()
    log.debug(f"running {list(argv)} with host name {hostname!r} (within {budget:.1f}s)")
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=budget,
                              stdin=subprocess.DEVNULL, preexec_fn=enter_scope)
    except FileNotFoundError:
        raise OCFError(OCF_ERR_INSTALLED, f"{argv[0]} is not installed") from None
    except subprocess.SubprocessError as err:
        raise OCFError(OCF_ERR_GENERIC, f"{argv[0]} under scope {hostname}: {err}") from None
    result = CommandResult(argv, done.returncode, done.stdout, done.stderr)
    if not result.ok:
        log.warning(result.summary())
    return result
