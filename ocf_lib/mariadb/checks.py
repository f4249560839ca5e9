"""Parameter checks of the mariadb agent (Parameter.check functions: value in, value out or
ValueError with what is wrong)."""

from __future__ import annotations

IDENTIFIER_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
UNIX_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789.-:_")


def check_unix_user(value: str) -> str:
    """A login name as useradd accepts it (the server drops privileges to it)."""
    if not 0 < len(value) <= 32 or not set(value) <= UNIX_NAME_CHARACTERS or \
            value[0] in "-0123456789":
        raise ValueError("not a user name (lower-case letters, digits, _ and -)")
    return value


def check_sql_user(value: str) -> str:
    """A MariaDB account name: at most 80 characters, printable, no spaces or quotes."""
    if not 0 < len(value) <= 80 or not value.isprintable() or \
            any(c.isspace() or c in "'\"`\\" for c in value):
        raise ValueError("not an SQL user name (up to 80 printable characters, no spaces or "
                         "quotes)")
    return value


def check_table_name(value: str) -> str:
    """`database.table`, plain identifiers only: the name is pasted into SQL statements."""
    parts = value.split(".")
    if len(parts) != 2 or not all(0 < len(part) <= 64 and set(part) <= IDENTIFIER_CHARACTERS
                                  for part in parts):
        raise ValueError("must be database.table (letters, digits, _ and $)")
    return value


def check_additional_parameters(value: str) -> tuple[str, ...]:
    """Split like a shell would (quotes group words), never run by one; every word must be an
    option, since a stray word makes the server refuse to start."""
    import shlex

    try:
        words = tuple(shlex.split(value))
    except ValueError as err:
        raise ValueError(f"cannot split into words: {err}") from None
    for word in words:
        if not word.startswith("--") or not word.isprintable():
            raise ValueError(f"{word!r} is not a --option")
        if word.split("=")[0] in ("--defaults-file", "--defaults-extra-file", "--no-defaults"):
            raise ValueError(f"{word.split('=')[0]} must come first: use the config parameter")
    return words


def check_host(value: str) -> str:
    if not 0 < len(value) <= 253 or not set(value) <= HOST_CHARACTERS or value[0] in "-.":
        raise ValueError(f"{value!r} is not a host name or address")
    return value


def check_node_addresses(value: str) -> tuple[tuple[str, str], ...]:
    """`node1=10.0.0.1 node2=db2.example` → ((node1, 10.0.0.1), (node2, db2.example))."""
    pairs = []
    for word in value.split():
        node, equals, address = word.partition("=")
        if not equals or not node or not node.isprintable():
            raise ValueError(f"{word!r} is not node=address")
        pairs.append((node, check_host(address)))
    if not pairs:
        raise ValueError("no node=address pairs")
    if len({node for node, _ in pairs}) != len(pairs):
        raise ValueError("a node is listed twice")
    return tuple(pairs)
