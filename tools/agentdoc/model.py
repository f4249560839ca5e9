"""An agent's OCF metadata as plain data: XML text in, `AgentDoc` out.

Lenient on purpose: documenting metadata is not validating it (that is validate.py's job), so a
missing description reads as empty rather than failing the build of every other page.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass

PROVIDER = "pyha"


@dataclass(frozen=True)
class ParameterDoc:
    name: str
    shortdesc: str
    longdesc: str
    content_type: str
    default: str | None
    required: bool
    unique: bool


@dataclass(frozen=True)
class ActionDoc:
    name: str
    timeout: str | None
    interval: str | None
    role: str | None
    depth: str | None

    @property
    def settings(self) -> list[str]:
        """`timeout=20s interval=10s role=Promoted` — the spelling of `pcs … op monitor …`."""
        pairs = (("timeout", self.timeout), ("interval", self.interval), ("role", self.role),
                 ("depth", self.depth))
        return [f"{key}={value}" for key, value in pairs if value is not None]


@dataclass(frozen=True)
class AgentDoc:
    name: str
    shortdesc: str
    longdesc: str
    parameters: tuple[ParameterDoc, ...]
    actions: tuple[ActionDoc, ...]

    @property
    def agent_spec(self) -> str:
        return f"ocf:{PROVIDER}:{self.name}"

    @property
    def man_name(self) -> str:
        return f"ocf_{PROVIDER}_{self.name}"

    @property
    def promotable(self) -> bool:
        return any(action.name == "promote" for action in self.actions)

    @property
    def action_names(self) -> list[str]:
        """Each action once, in metadata order (monitor is often listed per role)."""
        return list(dict.fromkeys(action.name for action in self.actions))


def _text(element: ET.Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def _parameter(element: ET.Element) -> ParameterDoc:
    content = element.find("content")
    return ParameterDoc(
        name=element.get("name", ""),
        shortdesc=_text(element, "shortdesc"),
        longdesc=_text(element, "longdesc"),
        content_type=content.get("type", "string") if content is not None else "string",
        default=content.get("default") if content is not None else None,
        required=element.get("required") == "1",
        unique=element.get("unique") == "1",
    )


def parse_metadata(xml: str | bytes) -> AgentDoc:
    root = ET.fromstring(xml)
    parameters = tuple(_parameter(param) for param in root.iterfind("parameters/parameter"))
    actions = tuple(
        ActionDoc(action.get("name", ""), action.get("timeout"), action.get("interval"),
                  action.get("role"), action.get("depth"))
        for action in root.iterfind("actions/action"))
    return AgentDoc(root.get("name", ""), _text(root, "shortdesc"), _text(root, "longdesc"),
                    parameters, actions)


def agent_metadata(path: str) -> str:
    """What the agent prints for `meta-data`, run as Pacemaker would: no inherited environment."""
    done = subprocess.run([path, "meta-data"], capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})
    if done.returncode != 0:
        raise RuntimeError(f"{path} meta-data: rc {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def read_agent(path: str) -> AgentDoc:
    return parse_metadata(agent_metadata(path))


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each with its line breaks kept."""
    blocks = [block.strip("\n") for block in text.split("\n\n")]
    return [block for block in blocks if block.strip()]


def pcs_example(agent: AgentDoc) -> list[str]:
    """`pcs resource create` with every required parameter (upper-case placeholder values, which
    pcs accepts as they are) and `promotable notify=true` when the agent can be promoted."""
    required = [f"{param.name}={param.name.upper()}" for param in agent.parameters
                if param.required]
    promotable = ["promotable", "notify=true"] if agent.promotable else []
    return ["pcs", "resource", "create", agent.name, agent.agent_spec, *required, *promotable]
