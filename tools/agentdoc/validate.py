"""The build check of an agent's metadata (the RPM's %check, `python3 -m tools.agentdoc check`).

Two parts. resource-agents' own schemas through xmllint, run exactly as ocf-tester runs the DTD
(`xmllint --noout --valid`, from the DTD's directory), plus its metadata.rng. And the profile
every pyha agent keeps beyond what those schemas say (design: ocf-facts §2): the name is the
file name, OCF 1.1 role names, only types every tool understands, a timeout on every action,
distinct intervals for per-role monitors. Both are required: a build host without
resource-agents fails loudly rather than checking less.
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET

RA_SCHEMAS = "/usr/share/resource-agents"
DTD = "ra-api-1.dtd"
RNG = "metadata.rng"

# The action names of ra-api-1.dtd; pcs would also take reload-agent, ocf-tester would not.
ACTIONS = frozenset({"start", "stop", "recover", "status", "monitor", "reload", "meta-data",
                     "methods", "promote", "demote", "notify", "migrate_to", "migrate_from",
                     "validate-all"})
REQUIRED_ACTIONS = ("start", "stop", "monitor", "meta-data", "validate-all")
TYPES = frozenset({"string", "integer", "boolean"})
ROLES = frozenset({"Promoted", "Unpromoted"})
PARAMETER_ATTRIBUTES = frozenset({"name", "required", "unique"})


def _described(element: ET.Element, what: str) -> list[str]:
    return [f"{what}: no {tag}" for tag in ("shortdesc", "longdesc")
            if not (element.findtext(tag) or "").strip()]


def _parameter_problems(param: ET.Element) -> list[str]:
    name = param.get("name", "")
    what = f"parameter {name!r}"
    problems = [] if name else ["a parameter without a name"]
    problems += [f"{what}: attribute {attribute}" for attribute in sorted(param.attrib)
                 if attribute not in PARAMETER_ATTRIBUTES]
    problems += [f"{what}: {flag}={param.get(flag)!r}, not 0 or 1"
                 for flag in ("required", "unique") if param.get(flag) not in ("0", "1")]
    content = param.find("content")
    content_type = content.get("type") if content is not None else None
    if content_type not in TYPES:
        problems.append(f"{what}: content type {content_type!r}, not one of {sorted(TYPES)}")
    return problems + _described(param, what)


def _action_problems(actions: list[ET.Element]) -> list[str]:
    problems = []
    for action in actions:
        name = action.get("name", "")
        if name not in ACTIONS:
            problems.append(f"action {name!r} is not in {DTD}")
        if not action.get("timeout"):
            problems.append(f"action {name!r} has no timeout")
        if action.get("role", "Promoted") not in ROLES:
            problems.append(f"action {name!r}: role {action.get('role')!r}, not OCF 1.1's")
    names = [action.get("name") for action in actions]
    problems += [f"no {name} action" for name in REQUIRED_ACTIONS if name not in names]
    if ("promote" in names) != ("demote" in names):
        problems.append("promote and demote come together")
    intervals = [action.get("interval") for action in actions if action.get("name") == "monitor"]
    if len(intervals) != len(set(intervals)):
        # Pacemaker keys an operation by name and interval: a second one would replace the first.
        problems.append(f"monitor intervals repeat: {intervals}")
    return problems


def profile_problems(xml: str, expected_name: str) -> list[str]:
    """What is wrong with the metadata by pyha's profile; empty when nothing is."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as error:
        return [f"not XML: {error}"]
    if root.tag != "resource-agent":
        return [f"root element <{root.tag}>, not <resource-agent>"]
    problems = []
    if root.get("name") != expected_name:
        problems.append(f"name {root.get('name')!r}, but the agent is called {expected_name!r}")
    if root.findtext("version") != "1.1":
        problems.append(f"OCF version {root.findtext('version')!r}, not '1.1'")
    problems += _described(root, "agent")
    params = root.findall("parameters/parameter")
    if not params:
        problems.append("no parameters")
    for param in params:
        problems += _parameter_problems(param)
    names = [param.get("name") for param in params]
    problems += [f"parameter {name!r} declared twice" for name in sorted(set(names))
                 if names.count(name) > 1]
    return problems + _action_problems(root.findall("actions/action"))


def schema_problems(xml: str, schemas: str = RA_SCHEMAS) -> list[str]:
    """xmllint against ra-api-1.dtd (with ocf-tester's very command line) and metadata.rng."""
    problems = []
    for path in (DTD, RNG):
        if not os.path.exists(os.path.join(schemas, path)):
            problems.append(f"{os.path.join(schemas, path)} is missing (install resource-agents)")
    if problems:
        return problems
    for argv in (["xmllint", "--noout", "--valid", "-"],
                 ["xmllint", "--noout", "--relaxng", RNG, "-"]):
        done = subprocess.run(argv, input=xml, capture_output=True, text=True, cwd=schemas,
                              check=False)
        if done.returncode != 0:
            problems.append(f"{' '.join(argv)}: {done.stderr.strip()}")
    return problems
