"""The topology recipes (doc/recipes): every pcs block runs on a fresh CIB with the checkout's
agents installed, and the CIB it builds passes crm_verify, fencing included.

A block is skipped only when an agent it needs is not in agents/ yet, and says which.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from xml.etree import ElementTree

import pytest

from tests.lab.install import run_installed
from tests.lab.offline_cib import empty_cib
from tests.lab.pcs_batch import run_pcs_batch
from tests.lab.recipes import Block, Recipe, RecipeError, load_recipe, parse_recipe, recipe_paths
from tests.packaging.conftest import AGENTS

RECIPES = [load_recipe(path) for path in recipe_paths()]
# The README's suite: a name outside it is a typo in a recipe, not an agent to wait for.
SUITE = {"drbd", "nfsserver", "mariadb", "moosefs-master", "floating-ip"}
SEEDS = {"000", "001", "002", "003", "004"}
UNSAFE = ("stonith-enabled=false", "no-quorum-policy=ignore")


def missing_agents(block: Block) -> list[str]:
    return sorted(block.agents - set(AGENTS))


@dataclass
class CibBuild:
    path: str
    errors: dict[int, str] = field(default_factory=dict)


def build_cib(recipe: Recipe, cib: str, root: str, directory: str) -> CibBuild:
    """Every runnable block of one CIB, in page order; a block's error is its first failing
    command, or that it never ran because an earlier one failed."""
    build = CibBuild(empty_cib(os.path.join(directory, f"{recipe.name}.{cib}.xml")))
    blocks = [block for block in recipe.blocks_of(cib) if not missing_agents(block)]
    commands = [["-f", build.path, *argv] for block in blocks
                for argv in block.argvs(recipe.placeholders)]
    results = iter(run_pcs_batch(root, commands, stop_at_failure=True))
    failed = None
    for block in blocks:
        for argv in block.argvs(recipe.placeholders):
            result = next(results, None)
            if result is None:
                build.errors[block.number] = f"not run: {failed} failed before it"
                break
            if result.rc != 0:
                failed = f"pcs {' '.join(argv)}"
                build.errors[block.number] = f"{failed}:\n{result.stdout}{result.stderr}"
                break
    return build


@pytest.fixture(scope="module")
def builds(installed: str, tmp_path_factory) -> dict[tuple[str, str], CibBuild]:
    directory = str(tmp_path_factory.mktemp("recipes"))
    jobs = [(recipe, cib) for recipe in RECIPES for cib in recipe.cibs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(lambda job: build_cib(*job, installed, directory), jobs)
        return {(recipe.name, cib): build for (recipe, cib), build in zip(jobs, done)}


BLOCKS = [pytest.param(recipe, block, id=block.name) for recipe in RECIPES
          for block in recipe.blocks]
CIBS = [pytest.param(recipe, cib, id=f"{recipe.name}:{cib}") for recipe in RECIPES
        for cib in recipe.cibs]


@pytest.mark.check
@pytest.mark.parametrize(("recipe", "block"), BLOCKS)
def test_recipe_block_runs(builds: dict, recipe: Recipe, block: Block) -> None:
    if missing_agents(block):
        pytest.skip(f"needs {', '.join(f'ocf:pyha:{name}' for name in missing_agents(block))}"
                    ", not in agents/ yet")
    for cib in block.cibs:
        assert block.number not in builds[recipe.name, cib].errors, \
            f"{block.name} (line {block.line}, CIB {cib}): {builds[recipe.name, cib].errors}"


@pytest.mark.check
@pytest.mark.parametrize(("recipe", "cib"), CIBS)
def test_recipe_cib_passes_crm_verify_with_fencing(builds: dict, installed: str, recipe: Recipe,
                                                   cib: str) -> None:
    path = builds[recipe.name, cib].path
    verified = run_installed(installed, ["crm_verify", "-V", "-x", path])
    assert verified.returncode == 0, verified.stdout + verified.stderr
    root = ElementTree.parse(path).getroot()
    assert root.findall(".//primitive[@class='stonith']"), "no fence device"
    for block in recipe.blocks_of(cib):
        if missing_agents(block):
            continue
        for argv in block.argvs(recipe.placeholders):
            if argv[:2] == ["resource", "create"] and argv[3].startswith("ocf:pyha:"):
                primitive = root.find(f".//primitive[@id='{argv[2]}']")
                assert primitive is not None, f"{argv[2]} is not in the CIB"
                assert primitive.get("provider") == "pyha"
                assert primitive.get("type") == argv[3].split(":")[2]


@pytest.mark.unit
def test_recipes_never_disable_fencing_or_quorum() -> None:
    unsafe = [(block.name, word) for recipe in RECIPES for block in recipe.blocks
              for command in block.commands for word in command if word in UNSAFE]
    assert unsafe == []
    for recipe in RECIPES:
        for cib in recipe.cibs:
            assert any(command[:2] == ("stonith", "create") for block in recipe.blocks_of(cib)
                       for command in block.commands), f"{recipe.name}:{cib} has no fencing"


@pytest.mark.unit
def test_recipes_name_only_agents_of_the_suite() -> None:
    assert {agent for recipe in RECIPES for block in recipe.blocks
            for agent in block.agents} <= SUITE


@pytest.mark.unit
def test_every_seed_has_a_recipe() -> None:
    covered = set()
    for path in recipe_paths():
        with open(path, encoding="utf-8") as page:
            covered |= set(re.findall(r"\b(\d{3})\b", page.readline()))
    assert covered == SEEDS


PAGE = """# Example

| placeholder | value here | what |
|---|---|---|
| `{vip}` | `10.0.0.1` | address |
| `{name}` | `r 0` | spaces stay in one word |

```pcs cib=a,b needs=mariadb
# a comment
pcs resource create ip ocf:pyha:floating-ip \\
    ip={vip} --group "g {name}"

pcs constraint order start ip then start db
```

```sh
not a pcs command, and nobody reads it
```
"""


@pytest.mark.unit
def test_loader_reads_commands_marks_and_placeholders() -> None:
    recipe = parse_recipe("example", PAGE)
    assert recipe.placeholders == {"vip": "10.0.0.1", "name": "r 0"}
    [block] = recipe.blocks
    assert (block.name, block.line, block.cibs) == ("example#1", 8, ("a", "b"))
    assert block.agents == {"floating-ip", "mariadb"}
    assert block.argvs(recipe.placeholders) == [
        ["resource", "create", "ip", "ocf:pyha:floating-ip", "ip=10.0.0.1", "--group", "g r 0"],
        ["constraint", "order", "start", "ip", "then", "start", "db"]]
    assert recipe.cibs == ["a", "b"]


@pytest.mark.unit
@pytest.mark.parametrize(("old", "new", "error"), [
    ("pcs constraint order", "crm configure order", "not a pcs command"),
    ("ip={vip}", "ip={address}", "placeholders without a value"),
    ("needs=mariadb", "agents=mariadb", "unknown mark"),
    ("ip={vip} --group \"g {name}\"", "ip={vip} --group \"g", "No closing quotation"),
    ("nobody reads it\n```", "nobody reads it", "a code block that never ends"),
])
def test_loader_refuses_what_it_cannot_run(old: str, new: str, error: str) -> None:
    assert old in PAGE
    with pytest.raises(RecipeError, match=error):
        parse_recipe("example", PAGE.replace(old, new, 1))
