"""Agent: one declaration of parameters and actions, and the single entry point of every action.

The entry point turns every outcome into an OCF exit code: a handler's return value, an OCFError
(code + `ocf-exit-reason:` line), an expired deadline, or an unexpected exception (logged with its
traceback, reported as OCF_ERR_GENERIC with a one-line reason). Nothing else calls sys.exit.
"""

from __future__ import annotations

import sys
import time

from .actions import LENIENT_ACTIONS, Action
from .codes import (
    OCF_DEGRADED,
    OCF_DEGRADED_PROMOTED,
    OCF_ERR_GENERIC,
    OCF_ERR_UNIMPLEMENTED,
    OCF_NOT_RUNNING,
    OCF_RUNNING_PROMOTED,
    OCF_SUCCESS,
    OCFError,
    code_name,
)
from .deadline import Deadline, DeadlineExceeded
from .environment import OcfEnvironment
from .log import Logger
from .parameters import Parameter, ParameterValues, read_parameters
from .statefile import StateFile

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Callable

    from .actions import Handler
    from .parameters import Check, Value

    Validator = Callable[["ActionContext"], None]


EXIT_REASON_PREFIX = "ocf-exit-reason:"
QUIET_CODES = (OCF_SUCCESS, OCF_NOT_RUNNING, OCF_RUNNING_PROMOTED)
# Running, with redundancy lost: worth a warning every monitor, not an error.
DEGRADED_CODES = (OCF_DEGRADED, OCF_DEGRADED_PROMOTED)
INFO_ACTIONS = ("meta-data", "usage", "methods")
# Where refusing a node for its own state is right (OCF_ERR_ARGS / OCF_ERR_INSTALLED ban the
# node): a monitor reports host state through its own codes instead.
HOST_CHECK_ACTIONS = ("validate-all", "start", "promote")


class ActionContext:
    """What a handler gets: the invocation's environment, parameters, deadline and log."""

    def __init__(self, agent: Agent, env: OcfEnvironment, params: ParameterValues,
                 deadline: Deadline, log: Logger) -> None:
        self.agent = agent
        self.env = env
        self.params = params
        self.deadline = deadline
        self.log = log
        self._cache: dict = {}

    @property
    def action(self) -> str:
        return self.env.action

    @property
    def clone(self):
        from .pacemaker import CloneMeta

        return self._cache.setdefault("clone", CloneMeta.from_meta(self.env.meta))

    @property
    def notify(self):
        from .pacemaker import NotifyData

        return self._cache.setdefault("notify", NotifyData.from_meta(self.env.meta))

    @property
    def promotion_score(self):
        from .pacemaker import PromotionScore

        return self._cache.setdefault("score", PromotionScore(self.env, self.agent.name, self.log))

    @property
    def node_name(self) -> str:
        """This node's name as Pacemaker knows it (its uname where Pacemaker does not say)."""
        import os

        return self.env.node_name or os.uname().nodename

    def state_file(self, suffix: str) -> StateFile:
        return StateFile(self.env.rsctmp, self.agent.name, self.env.instance, suffix)




class Agent:
    def __init__(self, name: str, shortdesc: str, longdesc: str, version: str = "1.0") -> None:
        self.name = name
        self.shortdesc = shortdesc
        self.longdesc = longdesc
        self.version = version
        self.parameters: list[Parameter] = []
        self.actions: list[Action] = []
        self._handlers: dict[str, Handler] = {}
        self._validators: list[Validator] = []
        self._host_checks: list[Validator] = []

    # Declaration ------------------------------------------------------------------------------

    def add_parameter(self, name: str, shortdesc: str, longdesc: str, content_type: str = "string",
                      default: Value = None, required: bool = False, unique: bool = False,
                      check: Check | None = None, **kwargs) -> Parameter:
        if any(p.name == name for p in self.parameters):
            raise ValueError(f"parameter {name} declared twice")
        param = Parameter(name, shortdesc, longdesc, content_type, default, required, unique,
                          check, **kwargs)
        self.parameters.append(param)
        return param

    def action(self, name: str, timeout: int, interval: int | None = None,
               depth: int | None = None, role: str | None = None) -> Callable[[Handler], Handler]:
        """Decorator: the function handles `name`; stack it for several metadata lines."""
        def register(handler: Handler) -> Handler:
            self.add_action(name, timeout, interval, depth, role, handler)
            return handler
        return register

    def add_action(self, name: str, timeout: int, interval: int | None = None,
                   depth: int | None = None, role: str | None = None,
                   handler: Handler | None = None) -> Action:
        action = Action(name, timeout, interval, depth, role)
        self.actions.append(action)
        if handler is not None:
            self._handlers[name] = handler
        return action

    def validator(self, check: Validator) -> Validator:
        """Decorator: a check of the whole configuration, run by validate-all and before every
        action that needs a valid configuration (all but stop and probes)."""
        self._validators.append(check)
        return check

    def host_check(self, check: Validator) -> Validator:
        """Decorator: a check that this node can run the resource (interface present, program
        installed), run by validate-all, start and promote only."""
        self._host_checks.append(check)
        return check

    @property
    def advertised_actions(self) -> list[Action]:
        actions = list(self.actions)
        names = {a.name for a in actions}
        if "validate-all" not in names:
            actions.append(Action("validate-all", 20))
        if "meta-data" not in names:
            actions.append(Action("meta-data", 5))
        return actions

    def metadata(self) -> str:
        from .metadata import agent_metadata

        return agent_metadata(self)

    def action_timeout_ms(self, name: str) -> int:
        timeouts = [a.timeout for a in self.actions if a.name == name]
        return max(timeouts, default=20) * 1000

    # Entry point ------------------------------------------------------------------------------

    def main(self) -> None:
        sys.exit(self.run(sys.argv))

    def run(self, argv: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
        started = time.monotonic()
        env = OcfEnvironment.from_environ(list(argv), environ)
        if env.action in INFO_ACTIONS:
            sys.stdout.write(self.metadata())
            return OCF_SUCCESS
        if env.action in ("-h", "--help", ""):
            usage = "|".join(sorted({*self._handlers, "validate-all", "meta-data"}))
            sys.stdout.write(f"usage: {self.name} {{{usage}}}\n"
                             "Expects the OCF environment (OCF_RESKEY_* parameters) to be set.\n")
            return OCF_SUCCESS if env.action else OCF_ERR_UNIMPLEMENTED
        log = Logger(self.name, env.instance, environ)
        code, reason = self._dispatch(env, log, started)
        if reason:
            one_line = " ".join(reason.split())
            emit = (log.info if code in QUIET_CODES
                    else log.warning if code in DEGRADED_CODES else log.error)
            emit(f"{env.action}: {one_line}")
            sys.stderr.write(f"{EXIT_REASON_PREFIX}{one_line}\n")
        log.debug(f"{env.action} returned {code_name(code)} after "
                  f"{time.monotonic() - started:.3f}s")
        return code

    def _dispatch(self, env: OcfEnvironment, log: Logger, started: float) -> tuple[int, str]:
        if env.action != "validate-all" and env.action not in self._handlers:
            return OCF_ERR_UNIMPLEMENTED, f"{self.name} does not implement {env.action}"
        timeout_ms = env.timeout_ms or self.action_timeout_ms(env.action)
        deadline = Deadline.from_timeout_ms(timeout_ms, started=started)
        try:
            params = read_parameters(self.parameters, env.params)
            ctx = ActionContext(self, env, params, deadline, log)
            if env.action == "validate-all":
                for name in params.unknown:
                    log.warning(f"parameter {name} is not used by {self.name}; ignored")
            if env.action not in LENIENT_ACTIONS and not env.is_probe:
                self.validate(ctx)
            if env.action == "validate-all":
                return OCF_SUCCESS, ""
            result = self._handlers[env.action](ctx)
            return (OCF_SUCCESS if result is None else int(result)), ""
        except OCFError as err:
            return err.code, err.reason
        except DeadlineExceeded as err:
            return OCF_ERR_GENERIC, f"{env.action} ran out of time: {err}"
        except Exception as err:  # the one place an unexpected error is turned into an OCF code
            log.exception(f"{env.action} failed unexpectedly")
            return OCF_ERR_GENERIC, f"internal error in {env.action}: {type(err).__name__}: {err}"

    def validate(self, ctx: ActionContext) -> None:
        ctx.params.raise_first_problem()
        for check in self._validators:
            check(ctx)
        if ctx.action in HOST_CHECK_ACTIONS:
            for check in self._host_checks:
                check(ctx)
