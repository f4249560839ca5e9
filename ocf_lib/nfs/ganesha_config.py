"""NFS-Ganesha: the configuration the agent writes, and what `ShowExports` over D-Bus says.
Pure, no I/O.

The agent's export options (kernel names, see exports.py) map onto Ganesha's CLIENT blocks; an
option Ganesha has no equivalent for is refused, not silently dropped.
"""

from __future__ import annotations

from ..record import record
from .exports import Client, Export, export_ids

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

# Kernel options Ganesha honours per client, or that cost nothing to accept there: Ganesha
# writes stably whenever the client asks (sync), and has no subtree checking at all.
GANESHA_OPTIONS = frozenset({"rw", "ro", "sync", "no_subtree_check", "root_squash",
                             "no_root_squash", "all_squash", "no_all_squash", "anonuid",
                             "anongid", "sec"})
RECOVERY_ROOT = "/var/lib/nfs/ganesha"


@record
class GaneshaSettings:
    nfsv4_only: bool
    grace_time: int | None
    lease_time: int | None
    server_scope: str | None


def unsupported_options(exports: Iterable[Export]) -> list[str]:
    found = []
    for export in exports:
        for client in export.clients:
            for option in client.options:
                if option.partition("=")[0] not in GANESHA_OPTIONS:
                    found.append(f"{export.directory} {client.spec}: {option}")
    return found


def _quoted(text: str) -> str:
    """A Ganesha string: the values reaching here are validated paths and names, but a quote or
    backslash would still end the string early, so they are refused rather than escaped."""
    if '"' in text or "\\" in text or "\n" in text:
        raise ValueError(f"{text!r} cannot be written into the Ganesha configuration")
    return f'"{text}"'


def _client_block(client: Client) -> str:
    squash = ("All_Squash" if client.has("all_squash")
              else "No_Root_Squash" if client.has("no_root_squash") else "Root_Squash")
    lines = [f"Clients = {client.spec};",
             f"Access_Type = {'RW' if client.has('rw') else 'RO'};",
             f"Squash = {squash};"]
    for option, key in (("anonuid", "Anonymous_Uid"), ("anongid", "Anonymous_Gid")):
        value = client.option_value(option)
        if value is not None:
            lines.append(f"{key} = {value};")
    sec = client.option_value("sec")
    if sec:
        lines.append(f"SecType = {', '.join(sec.split(':'))};")
    return "CLIENT {\n" + "".join(f"        {line}\n" for line in lines) + "    }"


def render_config(resource: str, exports: tuple[Export, ...], settings: GaneshaSettings) -> str:
    protocols = "4" if settings.nfsv4_only else "3, 4"
    nfsv4 = [f"RecoveryRoot = {_quoted(RECOVERY_ROOT)};", "RecoveryBackend = fs;"]
    if settings.grace_time is not None:
        nfsv4.append(f"Grace_Period = {settings.grace_time};")
    if settings.lease_time is not None:
        nfsv4.append(f"Lease_Lifetime = {settings.lease_time};")
    if settings.server_scope:
        nfsv4.append(f"Server_Scope = {_quoted(settings.server_scope)};")
    core = [f"Protocols = {protocols};",
            f"Enable_NLM = {'false' if settings.nfsv4_only else 'true'};",
            "Enable_RQUOTA = false;"]
    blocks = [
        "# Written by ocf:pyha:nfsserver for resource " + resource + "; edits are overwritten.",
        "NFS_CORE_PARAM {\n" + "".join(f"    {line}\n" for line in core) + "}",
        "NFSV4 {\n" + "".join(f"    {line}\n" for line in nfsv4) + "}",
    ]
    ids = export_ids(resource, exports)
    for export in exports:
        clients = "\n    ".join(_client_block(c) for c in export.clients)
        blocks.append(
            "EXPORT {\n"
            f"    Export_Id = {ids[export.directory]};\n"
            f"    Path = {_quoted(export.directory)};\n"
            f"    Pseudo = {_quoted(export.directory)};\n"
            f"    Protocols = {protocols};\n"
            "    Transports = TCP;\n"
            "    Access_Type = None;\n"
            "    FSAL { Name = VFS; }\n"
            f"    {clients}\n"
            "}")
    return "\n".join(blocks) + "\n"


def parse_show_exports(text: str) -> dict[int, str]:
    """Export id -> path from `dbus-send --print-reply ... ShowExports`: each export is a
    struct whose first members are `uint16 ID` and `string "PATH"`."""
    found: dict[int, str] = {}
    pending: int | None = None
    for line in text.splitlines():
        words = line.split(None, 1)
        if len(words) != 2:
            continue
        kind, value = words
        if kind == "uint16" and value.isdigit():
            pending = int(value)
        elif kind == "string" and pending is not None:
            found[pending] = value.strip()[1:-1] if value.strip().startswith('"') else value
            pending = None
        else:
            pending = None
    return found
