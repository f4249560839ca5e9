"""python3 -m tools.agentdoc {man,doc,check} AGENT... (paths of agent executables).

  man --output DIR --version V   ocf_pyha_<agent>.7 for every agent
  doc --output DIR               <agent>.md for every agent
  check                          validate every agent's metadata; exit 1 listing what is wrong
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import markdown, troff, validate
from .model import agent_metadata, parse_metadata


def _write(directory: str, name: str, text: str) -> None:
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "w", encoding="utf-8") as output:
        output.write(text)


def _generate(args: argparse.Namespace) -> int:
    agents = [parse_metadata(agent_metadata(path)) for path in args.agents]
    siblings = sorted(agent.name for agent in agents)
    for agent in agents:
        if args.command == "man":
            _write(args.output, f"{agent.man_name}.7",
                   troff.render_man_page(agent, args.version, siblings))
        else:
            _write(args.output, f"{agent.name}.md",
                   markdown.render_reference_page(agent, siblings))
    return 0


def _check(args: argparse.Namespace) -> int:
    failed = False
    for path in args.agents:
        name = os.path.basename(path)
        try:
            xml = agent_metadata(path)
        except RuntimeError as error:
            problems = [str(error)]
        else:
            problems = validate.profile_problems(xml, name) + validate.schema_problems(xml)
        for problem in problems:
            print(f"{name}: {problem}", file=sys.stderr)
        print(f"{name}: {'FAILED' if problems else 'ok'}")
        failed = failed or bool(problems)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tools.agentdoc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    man = commands.add_parser("man", help="man pages")
    man.add_argument("--version", required=True, help="the package version, for the footer")
    doc = commands.add_parser("doc", help="Markdown reference pages")
    for command in (man, doc):
        command.add_argument("--output", required=True, help="directory to write into")
        command.set_defaults(run=_generate)
    commands.add_parser("check", help="validate metadata").set_defaults(run=_check)
    for command in commands.choices.values():
        command.add_argument("agents", nargs="+", metavar="AGENT", help="agent executable")
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
