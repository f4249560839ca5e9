"""Run the checkout's agents the way Pacemaker does: argv[1] is the action, parameters and meta
attributes in the environment, nothing else inherited."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENTS_DIR = os.path.join(ROOT, "agents")
EXIT_REASON_PREFIX = "ocf-exit-reason:"


def agent_path(name: str) -> str:
    return os.path.join(AGENTS_DIR, name)


@dataclass(frozen=True)
class AgentResult:
    rc: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def exit_reason(self) -> str | None:
        reasons = [line[len(EXIT_REASON_PREFIX):] for line in self.stderr.splitlines()
                   if line.startswith(EXIT_REASON_PREFIX)]
        return reasons[-1] if reasons else None


def agent_environment(instance: str, params: Mapping[str, str] | None = None,
                      meta: Mapping[str, str] | None = None,
                      extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           "OCF_ROOT": "/usr/lib/ocf", "OCF_RESOURCE_INSTANCE": instance,
           "OCF_RESKEY_crm_feature_set": "3.16.2"}
    env.update({f"OCF_RESKEY_{k}": str(v) for k, v in (params or {}).items()})
    env.update({f"OCF_RESKEY_CRM_meta_{k}": str(v) for k, v in (meta or {}).items()})
    env.update(extra or {})
    return env


def run_agent(agent: str, action: str, *, instance: str = "test",
              params: Mapping[str, str] | None = None, meta: Mapping[str, str] | None = None,
              extra_env: Mapping[str, str] | None = None, netns: str | None = None,
              timeout: float = 60, preexec: Callable[[], None] | None = None) -> AgentResult:
    """One action; `preexec` runs in the child before the agent (e.g. to enter a cgroup)."""
    argv: Sequence[str] = [agent_path(agent), action]
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    started = time.monotonic()
    done = subprocess.run(list(argv), env=agent_environment(instance, params, meta, extra_env),
                          capture_output=True, text=True, timeout=timeout, preexec_fn=preexec)
    return AgentResult(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
