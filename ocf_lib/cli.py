"""`pyha`: the admin's command. `pyha drbd-state` answers "why is this node (not) promoted?"

    pyha drbd-state r0                       the live resource, as the drbd agent reads it
    pyha drbd-state [r0] --from-file F --format events2|status|json|proc

It prints the parsed state as JSON with the promotion score the agent would set and why, and
the degraded reason if redundancy is missing. Exit 0 on success, 2 on a usage or parse error.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import drbd
from .codes import OCFError
from .deadline import Deadline
from .log import Logger
from .record import as_plain

FORMATS = ("events2", "status", "json", "proc")


def parse_saved(text: str, source: str, name: str | None) -> drbd.DrbdResource:
    if source == "proc":
        return drbd.parse_proc_drbd(text).resource(name)
    resources = {"events2": drbd.parse_events2, "status": drbd.parse_status_text,
                 "json": drbd.parse_status_json}[source](text)
    if name is None:
        if len(resources) != 1:
            raise ValueError(f"{len(resources)} resources in the file: name one")
        return resources[0]
    return drbd.find_resource(resources, name)


def report(state: drbd.DrbdResource, scores: str, remove_if_peer_primary: bool) -> dict:
    decision = drbd.promotion_score(state, drbd.parse_score_setting(scores),
                                    remove_if_peer_primary)
    action = "unchanged" if decision.unchanged else "delete" if decision.delete else "set"
    return {
        "resource": state.name,
        "presence": state.presence,
        "promotion": {"action": action, "score": decision.score, "reason": decision.reason},
        "degraded": state.degraded_reason() if state.configured else None,
        "state": as_plain(state),
    }


def drbd_state(args: argparse.Namespace) -> int:
    if args.from_file:
        with open(args.from_file, encoding="utf-8") as saved:
            state = parse_saved(saved.read(), args.format, args.resource)
    elif args.resource:
        log = Logger("pyha", args.resource, {})
        state = drbd.live.read_state(args.resource, Deadline(30), log)
    else:
        raise ValueError("name a resource, or give --from-file")
    print(json.dumps(report(state, args.scores, args.remove_if_peer_primary), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyha", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    state = commands.add_parser("drbd-state", help="parsed DRBD state and promotion score")
    state.add_argument("resource", nargs="?", help="DRBD resource name")
    state.add_argument("--from-file", help="saved output instead of the live resource")
    state.add_argument("--format", choices=FORMATS, default="events2",
                       help="what --from-file holds (default: events2)")
    state.add_argument("--scores", default="0 10 1000 10000",
                       help="adjust_master_score, as in the resource (default: %(default)s)")
    state.add_argument("--remove-if-peer-primary", action="store_true",
                       help="as the parameter remove_master_score_if_peer_primary")
    args = parser.parse_args(argv)
    try:
        return drbd_state(args)
    except (ValueError, OSError, OCFError) as err:
        print(f"pyha: {err}", file=sys.stderr)
        return 2
