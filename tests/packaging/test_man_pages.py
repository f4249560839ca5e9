"""Man pages (`make man`, tools/agentdoc/troff.py): they render without a warning, say what the
metadata says, and text survives troff whatever characters it holds."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.lab.agents import agent_path
from tests.lab.offline_cib import empty_cib
from tests.lab.pcs_batch import run_pcs_batch
from tests.packaging.conftest import AGENTS
from tools.agentdoc.model import ActionDoc, AgentDoc, ParameterDoc, pcs_example, read_agent
from tools.agentdoc.troff import escape, render_man_page

TRICKY = ".starts a request\n'starts one too\nback\\slash \\fBnot bold\\fR -o x 'q' `c`"


def man(path: str, width: int = 100) -> subprocess.CompletedProcess:
    return subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MANWIDTH": str(width),
                               "MAN_DISABLE_SECCOMP": "1"})


def groff_warnings(path: str) -> str:
    done = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8", path], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    return done.stderr


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.unit
def test_escape_neutralises_requests_backslashes_and_glyphs() -> None:
    escaped = escape(TRICKY)
    assert [line[:2] for line in escaped.splitlines()] == ["\\&", "\\(", "ba"]
    assert "\\(rsfBnot bold\\(rsfR" in escaped
    assert "\\-o" in escaped and "\\(aqq\\(aq" in escaped and "\\(gac\\(ga" in escaped


@pytest.mark.unit
def test_page_of_tricky_metadata_renders_it_verbatim(tmp_path) -> None:
    agent = AgentDoc("tricky-agent", TRICKY, TRICKY,
                     (ParameterDoc("p-1", TRICKY, TRICKY, "string", ".x\\y", True, True),),
                     (ActionDoc("start", "20s", None, None, None),
                      ActionDoc("monitor", "20s", "10s", "Promoted", "10"),
                      ActionDoc("promote", "20s", None, None, None)))
    page = tmp_path / "ocf_pyha_tricky-agent.7"
    page.write_text(render_man_page(agent, "0.1.0", ["tricky-agent", "other"]))
    rendered = man(str(page), width=400)
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    assert groff_warnings(str(page)) == ""
    text = one_line(rendered.stdout)
    assert one_line(TRICKY) in text
    assert "p-1 (string, default .x\\y, required, unique)" in text
    assert "monitor timeout=20s interval=10s role=Promoted depth=10" in text
    assert "pcs resource create tricky-agent ocf:pyha:tricky-agent p-1=P-1 promotable" \
        " notify=true" in text
    assert "ocf_pyha_other(7)" in text and "ocf_pyha_tricky-agent(7)" not in text


@pytest.mark.check
@pytest.mark.parametrize("agent", AGENTS)
def test_man_page_renders_cleanly_and_lists_every_parameter(man_dir: str, agent: str) -> None:
    path = os.path.join(man_dir, f"ocf_pyha_{agent}.7")
    rendered = man(path)
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    assert groff_warnings(path) == ""
    metadata = read_agent(agent_path(agent))
    text = rendered.stdout
    assert f"ocf_pyha_{agent} - {one_line(metadata.shortdesc)}" in one_line(text)
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "SUPPORTED PARAMETERS",
                    "SUPPORTED ACTIONS", "EXAMPLE", "SEE ALSO"):
        assert f"\n{section}\n" in text
    assert [param.name for param in metadata.parameters
            if f"\n       {param.name} (" not in text] == []
    # Pasted from a terminal, the example must be the command itself: ASCII hyphens and all.
    assert " ".join(pcs_example(metadata)) in text


@pytest.mark.check
def test_every_man_page_example_creates_its_resource(installed: str, tmp_path) -> None:
    cib = empty_cib(str(tmp_path / "cib.xml"))
    examples = [pcs_example(read_agent(agent_path(agent))) for agent in AGENTS]
    results = run_pcs_batch(installed, [["-f", cib, *example[1:]] for example in examples])
    assert [(result.argv, result.stderr) for result in results if result.rc != 0] == []
