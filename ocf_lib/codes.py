"""OCF 1.1 exit codes and the exception that carries one to the entry point."""

from __future__ import annotations

OCF_SUCCESS = 0
OCF_ERR_GENERIC = 1
OCF_ERR_ARGS = 2
OCF_ERR_UNIMPLEMENTED = 3
OCF_ERR_PERM = 4
OCF_ERR_INSTALLED = 5
OCF_ERR_CONFIGURED = 6
OCF_NOT_RUNNING = 7
OCF_RUNNING_PROMOTED = 8
OCF_FAILED_PROMOTED = 9
OCF_DEGRADED = 190
OCF_DEGRADED_PROMOTED = 191

# Legacy names, kept so users of resource-agents' ocf.py feel at home.
OCF_RUNNING_MASTER = OCF_RUNNING_PROMOTED
OCF_FAILED_MASTER = OCF_FAILED_PROMOTED

CODE_NAMES: dict[int, str] = {
    OCF_SUCCESS: "OCF_SUCCESS",
    OCF_ERR_GENERIC: "OCF_ERR_GENERIC",
    OCF_ERR_ARGS: "OCF_ERR_ARGS",
    OCF_ERR_UNIMPLEMENTED: "OCF_ERR_UNIMPLEMENTED",
    OCF_ERR_PERM: "OCF_ERR_PERM",
    OCF_ERR_INSTALLED: "OCF_ERR_INSTALLED",
    OCF_ERR_CONFIGURED: "OCF_ERR_CONFIGURED",
    OCF_NOT_RUNNING: "OCF_NOT_RUNNING",
    OCF_RUNNING_PROMOTED: "OCF_RUNNING_PROMOTED",
    OCF_FAILED_PROMOTED: "OCF_FAILED_PROMOTED",
    OCF_DEGRADED: "OCF_DEGRADED",
    OCF_DEGRADED_PROMOTED: "OCF_DEGRADED_PROMOTED",
}


def code_name(code: int) -> str:
    return CODE_NAMES.get(code, f"unknown OCF code {code}")


class OCFError(Exception):
    """An outcome with an OCF meaning: the entry point turns it into exit code + exit reason.

    Raised for failures, but also for truthful non-zero answers such as OCF_NOT_RUNNING with a
    reason, so that deep code never calls sys.exit itself.
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"{code_name(self.code)}: {self.reason}"
