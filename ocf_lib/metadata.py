"""OCF 1.1 metadata XML, built with lxml so every text is escaped.

The profile passes all three validators at once: ocf-tester's ra-api-1.dtd (hence the DOCTYPE and
the DTD's element order), resource-agents' metadata.rng and pcs's ocf-1.1.rng. Only imported for
`meta-data`, so monitors never pay for lxml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .imports import import_with_site

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .actions import Action
    from .agent import Agent
    from .parameters import Parameter

OCF_VERSION = "1.1"
DOCTYPE = '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">'


def _described(parent, shortdesc: str, longdesc: str, etree) -> None:
    long = etree.SubElement(parent, "longdesc", lang="en")
    long.text = longdesc.strip()
    short = etree.SubElement(parent, "shortdesc", lang="en")
    short.text = shortdesc.strip()


def build_metadata(name: str, version: str, shortdesc: str, longdesc: str,
                   parameters: Sequence[Parameter], actions: Sequence[Action]) -> str:
    etree = import_with_site("lxml.etree")
    root = etree.Element("resource-agent", name=name, version=version)
    etree.SubElement(root, "version").text = OCF_VERSION
    _described(root, shortdesc, longdesc, etree)
    params_element = etree.SubElement(root, "parameters")
    for param in parameters:
        element = etree.SubElement(params_element, "parameter", name=param.name,
                                   unique="1" if param.unique else "0",
                                   required="1" if param.required else "0")
        _described(element, param.shortdesc, param.longdesc, etree)
        content = etree.SubElement(element, "content", type=param.content_type)
        if param.default_text is not None:
            content.set("default", param.default_text)
    actions_element = etree.SubElement(root, "actions")
    for action in actions:
        etree.SubElement(actions_element, "action", action.attributes)
    body = etree.tostring(root, pretty_print=True, encoding="unicode")
    return f'<?xml version="1.0"?>\n{DOCTYPE}\n{body}'


def agent_metadata(agent: Agent) -> str:
    return build_metadata(agent.name, agent.version, agent.shortdesc, agent.longdesc,
                          agent.parameters, agent.advertised_actions)
