"""Parameters declared once: metadata, validation and typed access all come from the declaration."""

from __future__ import annotations

from .codes import OCF_ERR_CONFIGURED, OCFError
from .environment import parse_boolean
from .record import record

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any, Callable

    Value = Any
    Check = Callable[[Value], Value]


CONTENT_TYPES = ("string", "integer", "boolean")



@record
class Parameter:
    """One OCF parameter.

    `check` receives the typed value and returns it (possibly normalised) or raises ValueError
    with a sentence saying what is wrong; the value then fails with `error_code`
    (OCF_ERR_CONFIGURED by default: a value that is wrong on every node).
    """

    name: str
    shortdesc: str
    longdesc: str
    content_type: str = "string"
    default: Value = None
    required: bool = False
    unique: bool = False
    check: Check | None = None
    error_code: int = OCF_ERR_CONFIGURED

    def __post_init__(self) -> None:
        if self.content_type not in CONTENT_TYPES:
            raise ValueError(f"parameter {self.name}: content type {self.content_type!r} "
                             f"is not one of {CONTENT_TYPES}")
        if self.required and self.default is not None:
            raise ValueError(f"parameter {self.name}: a required parameter has no default")

    def convert(self, text: str) -> Value:
        """Text from the environment -> typed, checked value; OCFError if it is not acceptable."""
        try:
            if self.content_type == "integer":
                value: Value = parse_integer(text)
            elif self.content_type == "boolean":
                value = parse_boolean(text)
            else:
                value = text
            if self.check is not None:
                value = self.check(value)
        except ValueError as err:
            detail = str(err) or "invalid value"
            if self.content_type == "integer" and "invalid literal" in detail:
                detail = "not an integer"
            raise OCFError(self.error_code, f"{self.name}={text!r}: {detail}") from None
        return value

    @property
    def default_text(self) -> str | None:
        """The default as metadata shows it."""
        if self.default is None:
            return None
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return str(self.default)


class ParameterValues:
    """Typed values of one invocation, with the problems found while reading them.

    Reading never raises: stop and probes must act on what they can read, so the agent decides
    when a problem matters (`raise_first_problem`).
    """

    def __init__(self, values: dict[str, Value], given: frozenset[str],
                 problems: list[OCFError], unknown: list[str]) -> None:
        self._values = values
        self.given = given
        self.problems = problems
        self.unknown = unknown

    def __getattr__(self, name: str) -> Value:
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(f"no parameter named {name!r}") from None

    def is_set(self, name: str) -> bool:
        """True when the admin gave the parameter (rather than it taking its default)."""
        return name in self.given

    def raise_first_problem(self) -> None:
        if self.problems:
            raise self.problems[0]


def read_parameters(declared: Iterable[Parameter], given: Mapping[str, str]) -> ParameterValues:
    values: dict[str, Value] = {}
    problems: list[OCFError] = []
    present: set[str] = set()
    known = set()
    for param in declared:
        known.add(param.name)
        text = given.get(param.name, "")
        if text == "":
            # Shell agents treat an empty value as unset (${OCF_RESKEY_x:-default}); so do we.
            values[param.name] = param.default
            if param.required:
                problems.append(OCFError(OCF_ERR_CONFIGURED,
                                         f"required parameter {param.name} is not set"))
            continue
        present.add(param.name)
        try:
            values[param.name] = param.convert(text)
        except OCFError as err:
            values[param.name] = None
            problems.append(err)
    unknown = sorted(name for name in given if name not in known)
    return ParameterValues(values, frozenset(present), problems, unknown)


def parse_integer(text: str) -> int:
    """An OCF integer: optional sign and ASCII digits. Python's int() would also take "1_0",
    "８０" or "٢٤", which no shell agent or admin means."""
    digits = text.strip()
    unsigned = digits[1:] if digits[:1] in "+-" else digits
    if not (unsigned.isascii() and unsigned.isdigit()):
        raise ValueError("not an integer")
    return int(digits)


# Reusable checks for Parameter.check -------------------------------------------------------

def in_range(low: int, high: int) -> Check:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value
    return check


def one_of(*choices: str) -> Check:
    def check(value: str) -> str:
        word = value.strip().lower()
        if word not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return word
    return check


def absolute_path(value: str) -> str:
    if not value.startswith("/") or "\0" in value:
        raise ValueError("must be an absolute path")
    return value
