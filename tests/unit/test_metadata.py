"""Metadata: valid for ocf-tester's DTD, resource-agents' RNG and pcs's RNG at once; no drift."""

from __future__ import annotations

import os
import subprocess

import pytest
from lxml import etree

from ocf_lib.actions import Action
from ocf_lib.metadata import build_metadata
from ocf_lib.parameters import Parameter
from tests.lab.agents import AGENTS_DIR, ROOT, agent_path

pytestmark = [pytest.mark.unit, pytest.mark.check]

DTD = "/usr/share/resource-agents/ra-api-1.dtd"
RA_RNG = "/usr/share/resource-agents/metadata.rng"
PCS_RNG = "/usr/share/pcs/data/ocf-1.1.rng"
AGENTS = sorted(os.listdir(AGENTS_DIR))


def agent_metadata(name: str) -> bytes:
    return subprocess.run([agent_path(name), "meta-data"], check=True, capture_output=True,
                          env={"PATH": "/usr/bin:/bin"}).stdout


def assert_valid(xml: bytes) -> None:
    document = etree.fromstring(xml)
    dtd = etree.DTD(DTD)
    assert dtd.validate(document), dtd.error_log.filter_from_errors()
    for schema_path in (RA_RNG, PCS_RNG):
        schema = etree.RelaxNG(etree.parse(schema_path))
        assert schema.validate(document), (schema_path, schema.error_log)


@pytest.mark.parametrize("agent", AGENTS)
def test_metadata_passes_dtd_and_both_rngs(agent: str) -> None:
    assert_valid(agent_metadata(agent))


@pytest.mark.parametrize("agent", AGENTS)
def test_metadata_passes_xmllint_valid_as_ocf_tester_runs_it(agent: str) -> None:
    lint = subprocess.run(["xmllint", "--noout", "--valid", "-"], input=agent_metadata(agent),
                          cwd=os.path.dirname(DTD), capture_output=True)
    assert lint.returncode == 0, lint.stderr.decode()


@pytest.mark.parametrize("agent", AGENTS)
def test_checked_in_metadata_matches_the_agent(agent: str) -> None:
    with open(os.path.join(ROOT, "metadata", f"{agent}.xml"), "rb") as checked_in:
        assert checked_in.read() == agent_metadata(agent), "run `make metadata` and commit"


@pytest.mark.parametrize("agent", AGENTS)
def test_meta_data_works_as_nobody_without_ocf_root(agent: str, installed: str) -> None:
    installed = os.path.join(installed, "usr/lib/ocf/resource.d/pyha", agent)
    done = subprocess.run(["su", "nobody", "-s", "/bin/sh", "-c", f"{installed} meta-data"],
                          capture_output=True, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr.decode()
    assert etree.fromstring(done.stdout).get("name") == agent


def test_descriptions_are_escaped_and_still_valid() -> None:
    tricky = 'a <b> & "c" ]]> \'d\''
    xml = build_metadata("x", "1.0", tricky, tricky,
                         [Parameter("p", tricky, tricky, default=tricky)],
                         [Action("start", 20), Action("stop", 20), Action("monitor", 10, 10)])
    assert_valid(xml.encode())
    root = etree.fromstring(xml.encode())
    assert root.findtext("shortdesc") == tricky
    assert root.find("parameters/parameter/content").get("default") == tricky


def test_roles_and_depth_use_ocf_1_1_names() -> None:
    xml = build_metadata("x", "1.0", "s", "l", [Parameter("p", "s", "l")],
                         [Action("monitor", 20, 9, role="Promoted"),
                          Action("monitor", 20, 11, depth=10, role="Unpromoted")])
    actions = etree.fromstring(xml.encode()).findall("actions/action")
    assert [(a.get("role"), a.get("interval"), a.get("depth")) for a in actions] == [
        ("Promoted", "9s", None), ("Unpromoted", "11s", "10")]


def test_unknown_role_and_action_names_are_refused_at_declaration() -> None:
    with pytest.raises(ValueError):
        Action("monitor", 20, role="Master")
    with pytest.raises(ValueError):
        Action("reload-agent", 20)
