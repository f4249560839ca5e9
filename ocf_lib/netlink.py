"""Read links, addresses and routes over rtnetlink with the standard library only.

A monitor asks the kernel directly instead of spawning `ip` (≈3–7 ms a call) or importing
pyroute2 (≈250 ms). Parsing is separate from the socket so it can be tested on captured bytes.
"""

from __future__ import annotations

import _socket  # the C module: `socket` would import enum and cost a monitor ~3 ms
import os
import struct

from .ip import IP, Network, from_packed
from .record import record

TYPE_CHECKING = False  # typing and collections.abc cost a monitor ~4 ms to import
if TYPE_CHECKING:
    from collections.abc import Iterator


NETLINK_ROUTE = 0
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_NEWADDR, RTM_GETADDR = 20, 22
RTM_NEWROUTE, RTM_GETROUTE = 24, 26

IFLA_ADDRESS, IFLA_IFNAME, IFLA_OPERSTATE = 1, 3, 16
IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_FLAGS = 1, 2, 3, 8
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_TABLE = 1, 4, 5, 15

IFF_UP = 0x1
IFF_LOWER_UP = 0x10000
IFA_F_SECONDARY = 0x01
IFA_F_DADFAILED = 0x08
IFA_F_TENTATIVE = 0x40
RTN_UNICAST = 1
RT_TABLE_MAIN = 254
OPERSTATES = ("unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up")

_NLMSGHDR = struct.Struct("=IHHII")
_RTATTR = struct.Struct("=HH")
_IFINFOMSG = struct.Struct("=BxHiII")
_IFADDRMSG = struct.Struct("=BBBBI")
_RTMSG = struct.Struct("=BBBBBBBBI")


class NetlinkError(OSError):
    pass


@record
class Link:
    index: int
    name: str
    flags: int
    operstate: str
    mac: bytes

    @property
    def admin_up(self) -> bool:
        return bool(self.flags & IFF_UP)

    @property
    def carrier(self) -> bool:
        """The lower layer is up: cable in, veth peer up, bridge port forwarding."""
        return bool(self.flags & IFF_LOWER_UP)


@record
class Address:
    index: int
    address: IP
    prefixlen: int
    flags: int
    label: str

    @property
    def tentative(self) -> bool:
        return bool(self.flags & IFA_F_TENTATIVE)

    @property
    def dad_failed(self) -> bool:
        return bool(self.flags & IFA_F_DADFAILED)

    @property
    def secondary(self) -> bool:
        """IPv4: another address of the same subnet came first on this interface."""
        return bool(self.flags & IFA_F_SECONDARY)


@record
class Route:
    network: Network
    oif: int | None
    gateway: str | None
    table: int
    route_type: int


def _attributes(data: bytes, offset: int) -> dict[int, bytes]:
    attrs: dict[int, bytes] = {}
    while offset + _RTATTR.size <= len(data):
        length, kind = _RTATTR.unpack_from(data, offset)
        if length < _RTATTR.size:
            break
        attrs[kind & 0x7FFF] = data[offset + _RTATTR.size:offset + length]
        offset += (length + 3) & ~3
    return attrs


def _cstring(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _ip(family: int, raw: bytes):
    return from_packed(raw[:4] if family == _socket.AF_INET else raw[:16])


def messages(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(type, payload) of every netlink message in a buffer; raises on NLMSG_ERROR."""
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, kind, _flags, _seq, _pid = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size:
            break
        payload = data[offset + _NLMSGHDR.size:offset + length]
        if kind == NLMSG_ERROR:
            (error,) = struct.unpack_from("=i", payload)
            if error:
                raise NetlinkError(-error, os.strerror(-error))
        yield kind, payload
        offset += (length + 3) & ~3


def parse_link(payload: bytes) -> Link:
    _family, _type, index, flags, _change = _IFINFOMSG.unpack_from(payload)
    attrs = _attributes(payload, _IFINFOMSG.size)
    state = attrs.get(IFLA_OPERSTATE, b"\0")[0]
    return Link(index=index, name=_cstring(attrs.get(IFLA_IFNAME, b"")), flags=flags,
                operstate=OPERSTATES[state] if state < len(OPERSTATES) else "unknown",
                mac=attrs.get(IFLA_ADDRESS, b""))


def parse_address(payload: bytes) -> Address:
    family, prefixlen, flags, _scope, index = _IFADDRMSG.unpack_from(payload)
    attrs = _attributes(payload, _IFADDRMSG.size)
    if IFA_FLAGS in attrs:
        (flags,) = struct.unpack_from("=I", attrs[IFA_FLAGS])
    # For IPv4 IFA_LOCAL is the address itself (IFA_ADDRESS is the peer on point-to-point links).
    raw = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS, b"")
    return Address(index=index, address=_ip(family, raw), prefixlen=prefixlen, flags=flags,
                   label=_cstring(attrs.get(IFA_LABEL, b"")))


def parse_route(payload: bytes) -> Route:
    family, dst_len, _src_len, _tos, table, _proto, _scope, route_type, _flags = \
        _RTMSG.unpack_from(payload)
    attrs = _attributes(payload, _RTMSG.size)
    if RTA_TABLE in attrs:
        (table,) = struct.unpack_from("=I", attrs[RTA_TABLE])
    if RTA_DST in attrs:
        network = Network(_ip(family, attrs[RTA_DST]), dst_len)
    else:
        network = Network(_ip(family, bytes(16)), 0)
    oif = struct.unpack_from("=i", attrs[RTA_OIF])[0] if RTA_OIF in attrs else None
    gateway = str(_ip(family, attrs[RTA_GATEWAY])) if RTA_GATEWAY in attrs else None
    return Route(network=network, oif=oif, gateway=gateway, table=table, route_type=route_type)


def _request(request_type: int, header: bytes, reply_type: int,
             dump: bool = True) -> list[bytes]:
    flags = NLM_F_REQUEST | (NLM_F_DUMP if dump else 0)
    sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, NETLINK_ROUTE)
    try:
        sock.sendto(_NLMSGHDR.pack(_NLMSGHDR.size + len(header), request_type, flags, 1, 0)
                    + header, (0, 0))
        payloads: list[bytes] = []
        while True:
            for kind, payload in messages(sock.recv(65536)):
                if kind == NLMSG_DONE:
                    return payloads
                if kind == reply_type:
                    payloads.append(payload)
                    if not dump:
                        return payloads
    finally:
        sock.close()


def links() -> list[Link]:
    header = _IFINFOMSG.pack(0, 0, 0, 0, 0)
    return [parse_link(p) for p in _request(RTM_GETLINK, header, RTM_NEWLINK)]


def addresses(family: int = _socket.AF_UNSPEC) -> list[Address]:
    header = _IFADDRMSG.pack(family, 0, 0, 0, 0)
    return [parse_address(p) for p in _request(RTM_GETADDR, header, RTM_NEWADDR)]


def routes(family: int) -> list[Route]:
    header = _RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)
    return [parse_route(p) for p in _request(RTM_GETROUTE, header, RTM_NEWROUTE)]


def link_by_name(name: str) -> Link | None:
    """One link by name, without dumping them all; None if there is no such interface."""
    try:
        index = _socket.if_nametoindex(name)
    except OSError:
        return None
    header = _IFINFOMSG.pack(0, 0, index, 0, 0)
    try:
        found = _request(RTM_GETLINK, header, RTM_NEWLINK, dump=False)
    except NetlinkError:
        return None
    return parse_link(found[0]) if found else None
