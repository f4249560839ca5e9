"""IP addresses on interfaces: parse, find the interface for an address, add, remove, watch DAD.

Reads go through netlink (cheap, no child process); changes go through `ip`, which every node has
and which handles every address flag correctly.
"""

from __future__ import annotations

import _socket

from . import ip, netlink
from .codes import OCF_ERR_ARGS, OCF_ERR_GENERIC, OCFError
from .commands import run_command
from .deadline import Deadline, DeadlineExceeded
from .log import Logger
from .record import record

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from .ip import IP



LABEL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def parse_ip(text: str) -> IP:
    """A unicast host address fit to float; ValueError with the reason otherwise."""
    if "%" in text:
        raise ValueError("a scoped address (%zone) cannot float; give nic instead")
    try:
        address = ip.parse(text.strip())
    except ValueError:
        raise ValueError("not an IPv4 or IPv6 address") from None
    if address.is_unspecified or address.is_multicast or address.is_loopback:
        raise ValueError("not a unicast address that can float between nodes")
    if address.is_limited_broadcast:
        raise ValueError("the broadcast address cannot float")
    if address.version == 6 and address.is_link_local:
        raise ValueError("an IPv6 link-local address cannot float between nodes")
    return address


def check_interface_name(name: str) -> str:
    """Linux interface names: 1-15 bytes, no '/', ':' or white space, not '.' or '..'."""
    valid = (0 < len(name.encode()) <= 15 and name not in (".", "..")
             and not any(c in "/:" or c.isspace() for c in name))
    if not valid:
        raise ValueError("not a valid interface name (1-15 characters, no '/', ':' or spaces)")
    return name


@record
class Placement:
    """Where an address goes: interface and prefix length."""

    nic: str
    prefixlen: int


def find_placement(address: IP) -> Placement:
    """The interface and prefix of the most specific directly connected route to `address`.

    Like IPaddr2's findif: only routes of the main table without a gateway count, since a VIP
    belongs on the link where its subnet lives, not behind a router.
    """
    names = {link.index: link.name for link in netlink.links()}
    candidates = [
        route for route in netlink.routes(address.family)
        if route.table == netlink.RT_TABLE_MAIN and route.route_type == netlink.RTN_UNICAST
        and route.gateway is None and route.oif in names and route.network.prefixlen > 0
        and route.network.contains(address)
    ]
    if not candidates:
        raise OCFError(OCF_ERR_ARGS, f"no interface on this node has a connected route to "
                                     f"{address}; set nic and cidr_netmask")
    best = max(candidates, key=lambda route: route.network.prefixlen)
    return Placement(names[best.oif], best.network.prefixlen)


def find_address(address: IP, index: int | None = None) -> netlink.Address | None:
    """The address as configured on interface `index` (any interface if None)."""
    for entry in netlink.addresses(address.family):
        if entry.address == address and (index is None or entry.index == index):
            return entry
    return None


def require_link(nic: str) -> netlink.Link:
    link = netlink.link_by_name(nic)
    if link is None:
        raise OCFError(OCF_ERR_ARGS, f"interface {nic} does not exist on this node")
    return link


def add_address(address: IP, placement: Placement, deadline: Deadline, log: Logger, *,
                label: str | None = None, broadcast: str | None = None, nodad: bool = False,
                noprefixroute: bool = False, preferred_lft: str | None = None) -> None:
    argv = ["ip", f"-{address.version}", "addr", "add", f"{address}/{placement.prefixlen}",
            "dev", placement.nic]
    if label and address.version == 4:
        argv += ["label", f"{placement.nic}:{label}"]
    if broadcast and address.version == 4:
        argv += ["broadcast", broadcast]
    if nodad and address.version == 6:
        argv.append("nodad")
    if noprefixroute:
        argv.append("noprefixroute")
    if preferred_lft is not None:
        argv += ["preferred_lft", preferred_lft]
    result = run_command(argv, deadline, log)
    if not result.ok:
        raise OCFError(OCF_ERR_GENERIC, f"cannot add {address} to {placement.nic}: "
                                        f"{result.summary()}")


def remove_address(address: IP, entry: netlink.Address, nic: str, deadline: Deadline,
                   log: Logger) -> None:
    argv = ["ip", f"-{address.version}", "addr", "del", f"{address}/{entry.prefixlen}",
            "dev", nic]
    result = run_command(argv, deadline, log)
    # Gone meanwhile (EADDRNOTAVAIL) is what we wanted; anything else is a real failure.
    if not result.ok and find_address(address, entry.index) is not None:
        raise OCFError(OCF_ERR_GENERIC, f"cannot remove {address} from {nic}: "
                                        f"{result.summary()}")


def wait_for_dad(address: IP, index: int, deadline: Deadline) -> None:
    """Wait while the kernel's duplicate address detection runs; fail if it found a duplicate."""
    def settled() -> netlink.Address | None:
        entry = find_address(address, index)
        if entry is None:
            raise OCFError(OCF_ERR_GENERIC, f"{address} vanished during duplicate address "
                                            f"detection")
        return None if entry.tentative and not entry.dad_failed else entry

    try:
        entry = deadline.wait_for(settled, interval=0.05, what=f"DAD of {address}")
    except DeadlineExceeded:
        raise OCFError(OCF_ERR_GENERIC, f"{address} still tentative (DAD) at the deadline; "
                                        f"is the link up?") from None
    if entry.dad_failed:
        raise OCFError(OCF_ERR_GENERIC, f"duplicate address detection failed: another host "
                                        f"on the link already uses {address}")


def check_listen_address(text: str) -> str:
    """An address a load balancer can reach: an IP literal, not loopback."""
    host = parse_endpoint_host(text)
    if ip.parse(host).is_loopback:
        raise ValueError("a loopback address is invisible to the load balancer")
    return host


def parse_endpoint_host(text: str) -> str:
    """An IP literal for a socket endpoint. Names are refused: a DNS lookup can hang an action."""
    try:
        return str(ip.parse(text))
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address (host names are not resolved)") from None


def parse_prefix(text: str, address: IP) -> int:
    """A prefix length ("24") or, for IPv4, a dotted netmask ("255.255.255.0")."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        prefix = int(text)
    elif address.version == 4 and text.count(".") == 3:
        prefix = ip.netmask_prefix(text)
    else:
        raise ValueError("not a prefix length" + (" or netmask" if address.version == 4 else ""))
    if not 1 <= prefix <= address.bits:
        raise ValueError(f"must be between 1 and {address.bits} for an "
                         f"IPv{address.version} address")
    return prefix


def parse_broadcast(text: str) -> str:
    text = text.strip()
    if text in ("+", "-"):
        return text
    try:
        address = ip.parse(text)
        if address.version != 4:
            raise ValueError
        return str(address)
    except ValueError:
        raise ValueError("not an IPv4 address (or + / -)") from None


def check_label(text: str) -> str:
    if not 0 < len(text) <= 13 or not set(text) <= LABEL_CHARACTERS:
        raise ValueError("use 1-13 letters, digits, '_', '.' or '-'")
    return text


def label_problem(nic: str, label: str) -> str | None:
    """The kernel keeps `nic:label` in 15 bytes."""
    if len(nic) + 1 + len(label) > 15:
        return f"{nic}:{label} is longer than the 15 characters an address label may have"
    return None


MAX_LIFETIME = 2**32 - 1


def check_lifetime(text: str) -> str:
    text = text.strip().lower()
    if text == "forever":
        return text
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_LIFETIME:
        raise ValueError(f"must be forever or 0 to {MAX_LIFETIME} seconds")
    return text


def link_by_index(index: int) -> netlink.Link | None:
    try:
        return netlink.link_by_name(_socket.if_indextoname(index))
    except OSError:
        return None


def bring_link_up(nic: str, deadline: Deadline, log: Logger) -> netlink.Link:
    """The link, set administratively up if it was down; OCFError if it has no carrier."""
    link = require_link(nic)
    if not link.admin_up:
        log.info(f"setting link {nic} up")
        run_command(["ip", "link", "set", "dev", nic, "up"], deadline, log, check=True)
        link = require_link(nic)
    if not link.carrier:
        raise OCFError(OCF_ERR_GENERIC, f"link {nic} has no carrier; not carrying the address "
                                        f"where clients cannot reach it")
    return link
