"""IP addresses and networks for the monitor path, on inet_pton instead of `ipaddress`.

`import ipaddress` (with functools and collections) costs a monitor about 3 ms, an eighth of
the whole call. Agents need little of it: parse, print, compare, test membership in a prefix.
"""

from __future__ import annotations

import _socket

from .record import record

FAMILIES = {4: _socket.AF_INET, 6: _socket.AF_INET6}


@record
class IP:
    version: int
    packed: bytes

    def __str__(self) -> str:
        return _socket.inet_ntop(FAMILIES[self.version], self.packed)

    @property
    def family(self) -> int:
        return FAMILIES[self.version]

    @property
    def bits(self) -> int:
        return 32 if self.version == 4 else 128

    @property
    def as_int(self) -> int:
        return int.from_bytes(self.packed, "big")

    @property
    def is_unspecified(self) -> bool:
        return self.as_int == 0

    @property
    def is_loopback(self) -> bool:
        return self.packed[0] == 127 if self.version == 4 else self.as_int == 1

    @property
    def is_multicast(self) -> bool:
        return self.packed[0] >> 4 == 14 if self.version == 4 else self.packed[0] == 0xFF

    @property
    def is_link_local(self) -> bool:
        if self.version == 4:
            return self.packed[:2] == b"\xa9\xfe"
        return self.packed[0] == 0xFE and self.packed[1] & 0xC0 == 0x80

    @property
    def is_limited_broadcast(self) -> bool:
        return self.version == 4 and self.packed == b"\xff\xff\xff\xff"


def parse(text: str) -> IP:
    """A literal IPv4 or IPv6 address (no zone, no prefix); ValueError otherwise."""
    if ":" in text:
        try:
            return IP(6, _socket.inet_pton(_socket.AF_INET6, text))
        except OSError:
            raise ValueError(f"{text!r} is not an IPv6 address") from None
    parts = text.split(".")
    # inet_pton alone would accept "010.1.1.1"; shells and ip(8) read that as octal.
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() and (p == "0" or p[0] != "0")
                                  for p in parts):
        raise ValueError(f"{text!r} is not an IPv4 address")
    try:
        return IP(4, _socket.inet_pton(_socket.AF_INET, text))
    except OSError:
        raise ValueError(f"{text!r} is not an IPv4 address") from None


def from_packed(packed: bytes) -> IP:
    return IP(4 if len(packed) == 4 else 6, packed)


@record
class Network:
    address: IP
    prefixlen: int

    def __str__(self) -> str:
        return f"{self.address}/{self.prefixlen}"

    def contains(self, ip: IP) -> bool:
        if ip.version != self.address.version:
            return False
        shift = ip.bits - self.prefixlen
        return ip.as_int >> shift == self.address.as_int >> shift


def netmask_prefix(text: str) -> int:
    """255.255.255.0 -> 24; ValueError for a mask whose ones are not contiguous."""
    mask = parse(text)
    if mask.version != 4:
        raise ValueError("not an IPv4 netmask")
    value = mask.as_int
    prefix = bin(value).count("1")
    if value != (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF:
        raise ValueError("not a contiguous netmask")
    return prefix
