"""Reference pages (`make doc`, tools/agentdoc/markdown.py): one per agent, saying what its
metadata says, with the metadata's text shown as written."""

from __future__ import annotations

import os

import pytest

from tests.lab.agents import agent_path
from tests.packaging.conftest import AGENTS
from tools.agentdoc.markdown import escape
from tools.agentdoc.model import pcs_example, read_agent


@pytest.mark.unit
def test_markdown_and_html_specials_are_escaped_outside_code_spans() -> None:
    assert escape("a_b *c* <b> [x](y) & `k_*|<v>`") == \
        "a\\_b \\*c\\* \\<b\\> \\[x\\](y) &amp; `k_*|<v>`"


@pytest.mark.unit
def test_table_cells_are_one_line_and_bars_never_end_them() -> None:
    assert escape("one\ntwo | `a|b`", table_cell=True) == "one two \\| `a\\|b`"


@pytest.mark.check
def test_make_doc_writes_a_page_per_agent(doc_dir: str) -> None:
    assert sorted(os.listdir(doc_dir)) == [f"{agent}.md" for agent in AGENTS]


@pytest.mark.check
@pytest.mark.parametrize("agent", AGENTS)
def test_reference_page_lists_every_parameter_and_action(doc_dir: str, agent: str) -> None:
    metadata = read_agent(agent_path(agent))
    with open(os.path.join(doc_dir, f"{agent}.md"), encoding="utf-8") as page:
        lines = page.read().splitlines()
    assert lines[0].startswith(f"# ocf:pyha:{agent} — ")
    rows = [line.split(" | ") for line in lines if line.startswith("| `")]
    assert [row[0][2:] for row in rows if len(row) == 6] == \
        [f"`{param.name}`" for param in metadata.parameters]
    assert [row[0][2:] for row in rows if len(row) == 5] == \
        [f"`{action.name}`" for action in metadata.actions]
    assert " ".join(pcs_example(metadata)) in lines
