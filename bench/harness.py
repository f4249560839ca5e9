"""Two commands that do the same work, run alternately and compared: the engine of `make bench`.

A benchmark names two commands (label, argv, environment), e.g. a pyha monitor and the monitor of
the shell agent it replaces, configured for the same resource; a command may be a sequence (`then`)
timed as one, where one pyha agent replaces two shell agents. `compare` measures them in a
separate process that runs in a fresh PID namespace and, if asked, inside a network namespace:

* wall time excludes `ip netns exec` and `unshare`: the measuring loop itself runs inside;
* CPU is user + system time of the command and every descendant it waited for, from
  getrusage(RUSAGE_CHILDREN) deltas around each call;
* processes per call are exact: /proc/sys/kernel/ns_last_pid moves for nothing but our own
  children in a PID namespace of our own (the command itself counts, and so does a thread).

Run as a script it is that measuring process: the commands come as JSON on stdin, the samples
leave as JSON on stdout.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass

PROCS_METHOD = ("ns_last_pid delta in a fresh PID namespace: exact, counts the command itself "
                "and any threads")


class BenchError(Exception):
    """A benchmark that cannot give meaningful figures: a command failed, or the set-up did."""


@dataclass(frozen=True)
class Command:
    """argv run with env, and then each of `then` in turn: all of them are one sample, e.g. the
    two shell agents whose monitors together do what one pyha monitor does."""

    label: str
    argv: list[str]
    env: dict[str, str]
    then: tuple[Command, ...] = ()

    @property
    def steps(self) -> list[Command]:
        return [self, *self.then]

    @classmethod
    def decode(cls, data: dict) -> Command:
        return cls(data["label"], data["argv"], data["env"],
                   tuple(cls.decode(step) for step in data.get("then", ())))


@dataclass(frozen=True)
class Sample:
    wall_ms: float
    cpu_ms: float
    procs: int


@dataclass(frozen=True)
class Result:
    """The samples of one command, and what it printed (commands measured should be quiet)."""

    command: Command
    samples: list[Sample]
    calls_with_output: int
    first_output: str

    @property
    def wall(self) -> list[float]:
        return [s.wall_ms for s in self.samples]

    @property
    def cpu(self) -> list[float]:
        return [s.cpu_ms for s in self.samples]

    @property
    def procs(self) -> list[int]:
        return [s.procs for s in self.samples]


# The measuring side (inside the namespaces) -----------------------------------------------------

def last_pid() -> int:
    with open("/proc/sys/kernel/ns_last_pid", encoding="ascii") as f:
        return int(f.read())


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(command: Command) -> tuple[Sample, str]:
    """One call (every step of the command): its sample and its output; BenchError unless each
    step exits 0."""
    pid_before, cpu_before = last_pid(), children_cpu_seconds()
    started = time.perf_counter()
    outputs = []
    for step in command.steps:
        done = subprocess.run(step.argv, env=step.env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, check=False)
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            raise BenchError(f"{command.label}: `{shlex.join(step.argv)}` exited "
                             f"{done.returncode}, not 0; its output: {output or '(none)'}")
        outputs += [output] if output else []
    wall = time.perf_counter() - started
    sample = Sample(wall * 1000, (children_cpu_seconds() - cpu_before) * 1000,
                    last_pid() - pid_before)
    return sample, "\n".join(outputs)


def rounds(commands: Sequence[Command], count: int) -> Iterator[tuple[int, Command]]:
    """(index, command) pairs, ABBA: neither command always runs right after the other."""
    for round_number in range(count):
        order = list(enumerate(commands))
        yield from (order if round_number % 2 == 0 else reversed(order))


def measure(commands: Sequence[Command], count: int, warmup: int) -> list[Result]:
    samples: list[list[Sample]] = [[] for _ in commands]
    outputs: list[list[str]] = [[] for _ in commands]
    for _, command in rounds(commands, warmup):
        run_once(command)
    for index, command in rounds(commands, count):
        sample, output = run_once(command)
        samples[index].append(sample)
        if output:
            outputs[index].append(output)
    return [Result(command, samples[i], len(outputs[i]), outputs[i][0] if outputs[i] else "")
            for i, command in enumerate(commands)]


def main() -> None:
    spec = json.load(sys.stdin)
    # In a namespace shared with a quiet daemon (`inside`), ns_last_pid also moves if the daemon
    # forks; the bench accepts that for daemons that do not fork while idle.
    if os.getpid() != 1 and not spec.get("inside"):
        sys.exit("harness: not PID 1 of a PID namespace of its own; run it through compare()")
    commands = [Command.decode(c) for c in spec["commands"]]
    try:
        results = measure(commands, spec["count"], spec["warmup"])
    except BenchError as err:
        sys.exit(str(err))
    json.dump([asdict(r) for r in results], sys.stdout)


# The calling side -------------------------------------------------------------------------------

# How the measuring process is started: (argv, stdin) -> (exit code, stdout, stderr). Locally by
# default; a VM's control channel for commands that must run in a guest.
Launcher = Callable[[list[str], str], tuple[int, str, str]]


def run_locally(argv: list[str], stdin: str) -> tuple[int, str, str]:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def compare(first: Command, second: Command, count: int, warmup: int = 5,
            netns: str | None = None, launch: Launcher = run_locally,
            inside: int | None = None) -> tuple[Result, Result]:
    """Run the two commands alternately, count measured calls each after warmup unmeasured ones.

    The commands run in a fresh PID namespace (and in netns if given), never through a shell.
    With `inside` (a pid), they run in that process's PID, mount and network namespaces
    instead: for monitors of a daemon started there, which a fresh PID namespace would hide.
    """
    if count < 2:
        raise ValueError("count must be at least 2 for a 90th percentile")
    # Slave, not unshare's default private propagation: network namespaces other programs add
    # later must stay visible, or `ip link` fails on their names (veth peers are looked up there).
    harness = [sys.executable, "-I", os.path.abspath(__file__)]
    argv = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "slave",
            *harness]
    if netns is not None:
        argv = ["ip", "netns", "exec", netns, *argv]
    if inside is not None:
        argv = ["nsenter", "-t", str(inside), "--pid", "--mount", "--net", "--", *harness]
    spec = {"commands": [asdict(first), asdict(second)], "count": count, "warmup": warmup,
            "inside": inside is not None}
    rc, stdout, stderr = launch(argv, json.dumps(spec))
    if rc != 0:
        raise BenchError(stderr.strip() or f"`{shlex.join(argv)}` exited {rc}")
    a, b = (decode(r) for r in json.loads(stdout))
    return a, b


def decode(data: dict) -> Result:
    return Result(Command.decode(data["command"]), [Sample(**s) for s in data["samples"]],
                  data["calls_with_output"], data["first_output"])


def spread(values: Sequence[float]) -> str:
    """Median and 90th percentile, as two table columns."""
    p90 = statistics.quantiles(values, n=10, method="inclusive")[-1]
    return f"{statistics.median(values):7.1f} {p90:7.1f}"


def procs_text(procs: Sequence[int]) -> str:
    low, high = min(procs), max(procs)
    return f"{statistics.median(procs):g}" + (f" ({low}-{high})" if low != high else "")


def report(first: Result, second: Result) -> str:
    """A row per command, notes on their output, and the ratio of medians first/second."""
    width = max(len(r.command.label) for r in (first, second))
    lines = [
        f"{len(first.samples)} measured calls each, alternating (ABBA)",
        f"procs per call: {PROCS_METHOD}",
        "",
        f"{'':{width}}  {'wall ms':^15}  {'cpu ms':^15}  {'procs':>6}",
        f"{'':{width}}  {'median':>7} {'p90':>7}  {'median':>7} {'p90':>7}",
    ]
    for r in (first, second):
        lines.append(f"{r.command.label:{width}}  {spread(r.wall)}  {spread(r.cpu)}"
                     f"  {procs_text(r.procs):>6}")
    for r in (first, second):
        if r.calls_with_output:
            lines.append(f"note: {r.command.label} printed output on {r.calls_with_output} of "
                         f"{len(r.samples)} calls, e.g.: {r.first_output.splitlines()[0]}")
    wall_ratio = statistics.median(first.wall) / statistics.median(second.wall)
    cpu_ratio = statistics.median(first.cpu) / statistics.median(second.cpu)
    lines.append(f"{first.command.label}/{second.command.label} ratio: "
                 f"wall {wall_ratio:.2f}, cpu {cpu_ratio:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
