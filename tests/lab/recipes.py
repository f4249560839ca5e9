"""The topology recipes (doc/recipes/*.md) as data: the pcs commands a reader pastes, as argv.

A recipe is a Markdown page written for people; three things in it are also read here:

- Placeholders: table rows whose first cell is `` `{name}` ``; the second cell is the value the
  page uses (mostly the seed's). Commands write `{name}` wherever a reader substitutes their own
  value, and tests substitute the page's (or a lab's).
- ```` ```pcs ```` blocks: one `pcs` command per line (`\\` continues a line, `#` comments).
  Words after `pcs` in the fence's info string are `key=value` marks:
  `cib=a,b` the CIBs the block builds (default `main`: a page may show alternatives, each built
  on a fresh CIB of its own); `needs=x,y` pyha agents the block relies on without naming them
  (constraints on a resource another block created). Agents a block names as `ocf:pyha:x` are
  needs without saying so.
- Nothing else: ```` ```sh ````, ```` ```drbd ```` and the like are for people only (they need a
  live cluster or real disks).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from tests.lab.agents import ROOT

RECIPES_DIR = os.path.join(ROOT, "doc", "recipes")
DEFAULT_CIB = "main"

_FENCE = re.compile(r"^```(\S*)(.*)$")
_PLACEHOLDER_ROW = re.compile(r"^\|\s*`\{(\w+)\}`\s*\|\s*`?([^|`]*)`?\s*\|")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_PYHA_AGENT = re.compile(r"\bocf:pyha:([\w-]+)")


class RecipeError(ValueError):
    """A page the loader cannot read as a recipe, with file and line."""


@dataclass(frozen=True)
class Block:
    page: str
    number: int
    line: int
    commands: tuple[tuple[str, ...], ...]
    cibs: tuple[str, ...]
    agents: frozenset[str]

    @property
    def name(self) -> str:
        return f"{self.page}#{self.number}"

    def argvs(self, values: Mapping[str, str]) -> list[list[str]]:
        """The block's commands without their leading `pcs`, placeholders substituted."""
        return [[substitute(word, values) for word in command] for command in self.commands]


@dataclass(frozen=True)
class Recipe:
    name: str
    placeholders: dict[str, str]
    blocks: tuple[Block, ...]

    @property
    def cibs(self) -> list[str]:
        return list(dict.fromkeys(cib for block in self.blocks for cib in block.cibs))

    def blocks_of(self, cib: str) -> list[Block]:
        return [block for block in self.blocks if cib in block.cibs]


def substitute(word: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], word)


def _commands(lines: list[tuple[int, str]], where: str) -> list[tuple[str, ...]]:
    commands, pending = [], ""
    for number, line in lines:
        pending += line.strip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending and not pending.startswith("#"):
            try:
                argv = shlex.split(pending, comments=True)
            except ValueError as error:
                raise RecipeError(f"{where}:{number}: {error}") from None
            if argv[0] != "pcs":
                raise RecipeError(f"{where}:{number}: not a pcs command: {pending}")
            commands.append(tuple(argv[1:]))
        pending = ""
    if pending:
        raise RecipeError(f"{where}: the last command ends with a continuation")
    return commands


def _marks(info: str, where: str) -> dict[str, list[str]]:
    marks = {}
    for word in info.split():
        key, _, value = word.partition("=")
        if key not in ("cib", "needs") or not value:
            raise RecipeError(f"{where}: unknown mark {word!r} (cib=… or needs=…)")
        marks[key] = value.split(",")
    return marks


def _block(page: str, number: int, opened: int, info: str, body: list[tuple[int, str]],
           path: str) -> Block:
    where = f"{path}:{opened}"
    marks = _marks(info, where)
    commands = _commands(body, path)
    if not commands:
        raise RecipeError(f"{where}: a pcs block without commands")
    named = {match for command in commands for word in command
             for match in _PYHA_AGENT.findall(word)}
    return Block(page, number, opened, tuple(commands), tuple(marks.get("cib", [DEFAULT_CIB])),
                 frozenset(named | set(marks.get("needs", []))))


def parse_recipe(name: str, text: str, path: str = "<recipe>") -> Recipe:
    placeholders: dict[str, str] = {}
    blocks: list[Block] = []
    fence: tuple[int, str, str] | None = None
    body: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence, body = (number, opening.group(1), opening.group(2)), []
        elif fence is not None and line.strip() == "```":
            opened, language, info = fence
            if language == "pcs":
                blocks.append(_block(name, len(blocks) + 1, opened, info, body, path))
            fence = None
        elif fence is not None:
            body.append((number, line))
        elif row := _PLACEHOLDER_ROW.match(line):
            placeholders[row.group(1)] = row.group(2).strip()
    if fence is not None:
        raise RecipeError(f"{path}:{fence[0]}: a code block that never ends")
    used = {match for block in blocks for command in block.commands for word in command
            for match in _PLACEHOLDER.findall(word)}
    if used - set(placeholders):
        raise RecipeError(f"{path}: placeholders without a value in the table: "
                          f"{sorted(used - set(placeholders))}")
    return Recipe(name, placeholders, tuple(blocks))


def recipe_paths() -> list[str]:
    """Every recipe page; README.md is the index and explains the format."""
    return sorted(os.path.join(RECIPES_DIR, name) for name in os.listdir(RECIPES_DIR)
                  if name.endswith(".md") and name != "README.md")


def load_recipe(path: str) -> Recipe:
    with open(path, encoding="utf-8") as page:
        return parse_recipe(os.path.basename(path)[:-3], page.read(), path)
