"""`@record`: a frozen value class, like `@dataclass(frozen=True)` without its import cost.

`import dataclasses` pulls in inspect, ast and tokenize: about 15 ms, a third of what a whole
IPaddr2 monitor costs. Agents start once per monitor, so their value types use this instead.
Fields are the class annotations in order; a class attribute of the same name is the default
(immutable values only). `__post_init__` runs after the fields are set, as with dataclasses.
"""

from __future__ import annotations


def record(cls):
    # The class's own annotations, in order (typing_extensions is not ours to import).
    names = tuple(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063
    defaults = {name: cls.__dict__[name] for name in names if name in cls.__dict__}

    def __init__(self, *args, **kwargs) -> None:
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__} takes {len(names)} fields, got {len(args)}")
        values = dict(zip(names, args))
        for name, value in kwargs.items():
            if name not in names or name in values:
                raise TypeError(f"{cls.__name__}: unexpected or repeated field {name!r}")
            values[name] = value
        for name in names:
            if name not in values:
                if name not in defaults:
                    raise TypeError(f"{cls.__name__}: missing field {name!r}")
                values[name] = defaults[name]
            object.__setattr__(self, name, values[name])
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"{cls.__name__} is frozen")

    def fields(self) -> tuple:
        return tuple(getattr(self, name) for name in names)

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and fields(other) == fields(self)

    def __hash__(self) -> int:
        return hash((cls, fields(self)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{cls.__name__}({shown})"

    cls.__record_fields__ = names
    cls.__init__ = __init__
    cls.__setattr__ = __setattr__
    cls.__eq__ = __eq__
    cls.__hash__ = __hash__
    cls.__repr__ = __repr__
    return cls


def as_plain(value):
    """Records, tuples and lists as plain dicts and lists (for JSON output)."""
    names = getattr(type(value), "__record_fields__", None)
    if names is not None:
        return {name: as_plain(getattr(value, name)) for name in names}
    if isinstance(value, (tuple, list)):
        return [as_plain(item) for item in value]
    return value
