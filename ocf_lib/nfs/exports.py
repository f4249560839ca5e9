"""The `exports` parameter: parsing, strict validation, deterministic fsids. Pure, no I/O.

Syntax: exports separated by `;`, each a directory followed by one or more clients, each client
with its options in parentheses, as in /etc/exports:

    /srv/nfs/data 192.168.1.0/24(rw,sync,no_root_squash) backup.example(ro); /srv/nfs/pub *(ro)

Every option is checked against the options the kernel server knows (`fsid` is the agent's:
derived from the resource and the directory, so it is the same on every node and clients keep
their file handles across a failover).
"""

from __future__ import annotations

from ..mounts import unescape_octal
from ..record import record

# Options that take no value, and those that take one (with the check of the value).
FLAG_OPTIONS = frozenset({
    "rw", "ro", "sync", "async", "secure", "insecure", "wdelay", "no_wdelay", "hide", "nohide",
    "crossmnt", "subtree_check", "no_subtree_check", "secure_locks", "insecure_locks",
    "auth_nlm", "no_auth_nlm", "mp", "mountpoint", "root_squash", "no_root_squash", "all_squash",
    "no_all_squash", "acl", "no_acl", "pnfs", "no_pnfs", "security_label",
})
SEC_FLAVOURS = frozenset({"sys", "krb5", "krb5i", "krb5p"})
CLIENT_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                              ".-_*?:/[]@")
MAX_EXPORTS = 64


@record
class Client:
    spec: str                   # host, network, wildcard or @netgroup
    options: tuple[str, ...]    # as given, in order, e.g. ("rw", "anonuid=65534")

    def option_value(self, name: str) -> str | None:
        for option in self.options:
            key, _, value = option.partition("=")
            if key == name:
                return value
        return None

    def has(self, flag: str) -> bool:
        return flag in self.options


@record
class Export:
    directory: str
    clients: tuple[Client, ...]


def _check_directory(path: str) -> str:
    if not path.startswith("/") or not path.isprintable() or "\\" in path:
        raise ValueError(f"{path!r} is not an absolute directory path")
    parts = path.split("/")
    if any(part in (".", "..") for part in parts):
        raise ValueError(f"{path!r} must not contain . or .. components")
    normal = "/" + "/".join(part for part in parts if part)
    return normal


def _check_value(name: str, value: str) -> None:
    if name in ("anonuid", "anongid"):
        if not (value.isascii() and value.lstrip("-").isdigit()):
            raise ValueError(f"{name} needs a numeric id, not {value!r}")
    elif name == "sec":
        flavours = value.split(":")
        unknown = [f for f in flavours if f not in SEC_FLAVOURS]
        if unknown or not value:
            raise ValueError(f"sec= takes {':'.join(sorted(SEC_FLAVOURS))}, not {value!r}")
    else:
        raise ValueError(f"unknown export option {name}={value}")


def _check_option(option: str) -> str:
    name, equals, value = option.partition("=")
    if name == "fsid":
        if value in ("0", "root"):
            return option  # this export is the NFSv4 root (clients mount server:/)
        raise ValueError("fsid is set by the agent (derived from the resource and directory, "
                         "the same on every node); only fsid=0 (the NFSv4 root) may be given")
    if not equals:
        if option not in FLAG_OPTIONS:
            raise ValueError(f"unknown export option {option!r}")
    else:
        _check_value(name, value)
    return option


def _parse_client(word: str) -> Client:
    spec, paren, rest = word.partition("(")
    if not spec:
        raise ValueError(f"{word!r}: a client (host, network or *) must come before the options")
    if not set(spec) <= CLIENT_CHARACTERS or spec.startswith("-"):
        raise ValueError(f"{spec!r} is not a host, network, wildcard or @netgroup")
    if not paren:
        raise ValueError(f"client {spec} needs its options in parentheses, e.g. {spec}(rw)")
    if not rest.endswith(")") or "(" in rest or ")" in rest[:-1]:
        raise ValueError(f"{word!r}: options must be one (...) group right after the client")
    options = tuple(_check_option(o) for o in rest[:-1].split(",") if o)
    if not options:
        raise ValueError(f"client {spec} has empty options; say ro or rw")
    if "rw" in options and "ro" in options:
        raise ValueError(f"client {spec}: rw and ro together")
    return Client(spec, options)


def parse_exports(text: str) -> tuple[Export, ...]:
    """The parameter's text -> exports; ValueError with a sentence saying what is wrong."""
    exports: list[Export] = []
    for entry in text.split(";"):
        words = entry.split()
        if not words:
            continue
        directory = _check_directory(words[0])
        if len(words) < 2:
            raise ValueError(f"export {directory} names no client, e.g. {directory} *(ro)")
        clients = tuple(_parse_client(word) for word in words[1:])
        specs = [c.spec for c in clients]
        if len(set(specs)) != len(specs):
            raise ValueError(f"export {directory} names a client twice")
        if any(e.directory == directory for e in exports):
            raise ValueError(f"{directory} is exported twice; put all its clients in one entry")
        exports.append(Export(directory, clients))
    if not exports:
        raise ValueError("no export given, e.g. /srv/nfs 192.168.1.0/24(rw,sync)")
    if len(exports) > MAX_EXPORTS:
        raise ValueError(f"more than {MAX_EXPORTS} exports")
    return tuple(exports)


def check_exports(text: str) -> str:
    """Parameter check: the text if it parses (the agent parses again where it needs them)."""
    parse_exports(text)
    return text


def fsid_uuid(resource: str, directory: str) -> str:
    """A UUID for `fsid=`: the same for the same resource and directory on every node, and
    different for every directory, so NFS file handles survive a failover."""
    import hashlib

    digest = hashlib.sha256(f"pyha-nfs\0{resource}\0{directory}".encode()).hexdigest()[:32]
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def export_ids(resource: str, exports: tuple[Export, ...]) -> dict[str, int]:
    """Ganesha's Export_Id per directory (2..65535; 0 and 1 are Ganesha's pseudo-root):
    derived like the fsid, collisions within one resource resolved in directory order."""
    import hashlib

    taken: set[int] = set()
    ids: dict[str, int] = {}
    for export in sorted(exports, key=lambda e: e.directory):
        digest = hashlib.sha256(f"pyha-nfs\0{resource}\0{export.directory}".encode()).digest()
        number = 2 + int.from_bytes(digest[:4], "big") % 65534
        while number in taken:
            number = 2 + (number - 1) % 65534
        taken.add(number)
        ids[export.directory] = number
    return ids


def kernel_options(client: Client, resource: str, directory: str) -> str:
    """The -o argument of exportfs for one client: its options plus the derived fsid (unless
    the export is the NFSv4 root, fsid=0)."""
    if client.option_value("fsid") is not None:
        return ",".join(client.options)
    return ",".join([*client.options, f"fsid={fsid_uuid(resource, directory)}"])


def parse_etab(text: str) -> set[tuple[str, str]]:
    """(directory, client) pairs of /var/lib/nfs/etab: `DIR<TAB>CLIENT(options)` per line.
    The directory may contain octal escapes for blanks (\\040), as exportfs writes them."""
    pairs = set()
    for line in text.splitlines():
        directory, _, rest = line.partition("\t")
        client = rest.partition("(")[0]
        if directory and client:
            pairs.add((unescape_octal(directory), client))
    return pairs
