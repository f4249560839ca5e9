"""What Pacemaker (or ocf-tester, crm_resource, a person) tells an agent through its environment."""

from __future__ import annotations

import os

from .record import record

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Mapping


RESKEY_PREFIX = "OCF_RESKEY_"
META_PREFIX = "OCF_RESKEY_CRM_meta_"
DEFAULT_RSCTMP = "/run/resource-agents"
DEFAULT_TIMEOUT_MS = 20000

TRUE_WORDS = frozenset({"1", "yes", "true", "on", "y", "t"})
FALSE_WORDS = frozenset({"0", "no", "false", "off", "n", "f"})


def parse_boolean(text: str) -> bool:
    """OCF truth values, as Pacemaker and ocf-shellfuncs accept them; ValueError otherwise."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not a boolean (use true or false)")


def _int_or(text: str | None, default: int) -> int:
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        return default


@record
class OcfEnvironment:
    action: str
    instance: str
    params: Mapping[str, str]
    meta: Mapping[str, str]
    interval_ms: int
    timeout_ms: int | None
    check_level: int
    rsctmp: str
    debug: bool
    raw: Mapping[str, str]

    @classmethod
    def from_environ(cls, argv: list[str],
                     environ: Mapping[str, str] | None = None) -> OcfEnvironment:
        env = os.environ if environ is None else environ
        # Pacemaker passes the action as argv[1]; only ocf-tester also exports __OCF_ACTION.
        action = argv[1] if len(argv) > 1 else env.get("__OCF_ACTION", "")
        params: dict[str, str] = {}
        meta: dict[str, str] = {}
        for key, value in env.items():
            if key.startswith(META_PREFIX):
                meta[key[len(META_PREFIX):]] = value
            elif key.startswith(RESKEY_PREFIX) and key != "OCF_RESKEY_crm_feature_set":
                params[key[len(RESKEY_PREFIX):]] = value
        timeout = meta.get("timeout")
        try:
            debug = parse_boolean(env.get("HA_debug", "0"))
        except ValueError:
            debug = False
        return cls(
            action=action,
            instance=env.get("OCF_RESOURCE_INSTANCE", "") or "undef",
            params=params,
            meta=meta,
            interval_ms=_int_or(meta.get("interval"), 0),
            timeout_ms=_int_or(timeout, DEFAULT_TIMEOUT_MS) if timeout else None,
            check_level=_int_or(env.get("OCF_CHECK_LEVEL"), 0),
            rsctmp=env.get("HA_RSCTMP") or DEFAULT_RSCTMP,
            debug=debug,
            raw=env,
        )

    @property
    def is_probe(self) -> bool:
        """A monitor with interval 0: Pacemaker asking whether the resource runs here at all."""
        return self.action == "monitor" and self.interval_ms == 0

    @property
    def feature_set(self) -> tuple[int, ...]:
        text = self.raw.get("OCF_RESKEY_crm_feature_set", "")
        try:
            return tuple(int(part) for part in text.split("."))
        except ValueError:
            return ()

    @property
    def node_name(self) -> str | None:
        return self.meta.get("on_node") or None
