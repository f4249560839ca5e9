"""Typed values of the `key:value` words DRBD's tools print, with a short reason when one is bad.

Every parser in this package reads through these, so a malformed value is a ValueError that
names the key and the source, never a bare IndexError or KeyError from deep inside.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Mapping

_YES = ("yes", "true")
_NO = ("no", "false")


def key_values(words: list[str], source: str) -> dict[str, str]:
    """`["role:Primary", "suspended:no"]` → `{"role": "Primary", "suspended": "no"}`.

    Only the first colon separates: a path's `local:ipv4:10.99.0.1:7789` keeps its value whole.
    """
    fields: dict[str, str] = {}
    for word in words:
        key, colon, value = word.partition(":")
        if not colon or not key:
            raise ValueError(f"{source}: {word!r} is not a key:value word")
        fields[key] = value
    return fields


def required(fields: Mapping[str, str], key: str, source: str) -> str:
    value = fields.get(key)
    if not value:
        raise ValueError(f"{source}: no {key}: value")
    return value


def integer(value: str, key: str, source: str) -> int:
    # int() would also take "+1", " 1" and "1_000"; DRBD prints plain digits (or -1).
    digits = value[1:] if value.startswith("-") else value
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"{source}: {key}:{value} is not an integer")
    return int(value)


def optional_integer(fields: Mapping[str, str], key: str, source: str) -> int | None:
    value = fields.get(key)
    return None if value is None else integer(value, key, source)


def percent(value: str, key: str, source: str) -> float:
    text = value[:-1] if value.endswith("%") else value
    whole, _, fraction = text.partition(".")
    if not (whole.isascii() and whole.isdigit() and (not fraction or fraction.isdigit())):
        raise ValueError(f"{source}: {key}:{value} is not a percentage")
    number = float(text)
    if number > 100.0:
        raise ValueError(f"{source}: {key}:{value} is more than 100%")
    return number


def optional_percent(fields: Mapping[str, str], key: str, source: str) -> float | None:
    value = fields.get(key)
    return None if value is None else percent(value, key, source)


def yes_no(value: str, key: str, source: str) -> bool:
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError(f"{source}: {key}:{value} is neither yes nor no")


def optional_yes_no(fields: Mapping[str, str], key: str, source: str) -> bool | None:
    value = fields.get(key)
    return None if value is None else yes_no(value, key, source)


def reasons(value: str | None) -> tuple[str, ...]:
    """`suspended:` and `resync-suspended:` values: `no`, or reasons joined by commas."""
    if value is None or value in ("no", ""):
        return ()
    return tuple(reason for reason in value.split(",") if reason)
