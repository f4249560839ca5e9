"""Tell the link that an address moved, and ask whether another host holds it.

Gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) make clients switch within
milliseconds instead of waiting for their neighbour entry to go stale (≈39 s measured). Packets
are built here and sent on raw sockets: no arping/ndsend binaries, no child processes.
"""

from __future__ import annotations

import select
import socket
import struct
import time

from .deadline import Deadline
from .ip import IP

ETH_P_ARP = 0x0806
ARP_REQUEST, ARP_REPLY = 1, 2
BROADCAST_MAC = b"\xff" * 6
ZERO_MAC = b"\0" * 6
ICMPV6_NEIGHBOR_ADVERT = 136
ND_NA_FLAG_OVERRIDE = 0x20000000
ND_OPT_TARGET_LINKADDR = 2
ALL_NODES = "ff02::1"

_ETHERNET = struct.Struct("!6s6sH")
_ARP = struct.Struct("!HHBBH6s4s6s4s")


def arp_frame(op: int, sender_mac: bytes, sender_ip: bytes, target_mac: bytes,
              target_ip: bytes) -> bytes:
    return (_ETHERNET.pack(BROADCAST_MAC, sender_mac, ETH_P_ARP)
            + _ARP.pack(1, 0x0800, 6, 4, op, sender_mac, sender_ip, target_mac, target_ip))


def gratuitous_arp_frames(mac: bytes, address: IP) -> list[bytes]:
    """An announcement as a request (RFC 5227) and as a reply: neighbours differ in which they
    honour, so both go out each round."""
    ip = address.packed
    return [arp_frame(ARP_REQUEST, mac, ip, ZERO_MAC, ip),
            arp_frame(ARP_REPLY, mac, ip, BROADCAST_MAC, ip)]


def neighbor_advert(mac: bytes, address: IP) -> bytes:
    """ICMPv6 NA with the Override flag and our link-layer address.

    The kernel fills in the checksum of raw ICMPv6 sockets.
    """
    return (struct.pack("!BBHI16s", ICMPV6_NEIGHBOR_ADVERT, 0, 0, ND_NA_FLAG_OVERRIDE,
                        address.packed)
            + struct.pack("!BB6s", ND_OPT_TARGET_LINKADDR, 1, mac))


def _rounds(count: int, interval: float, deadline: Deadline):
    for round_number in range(count):
        if round_number:
            if deadline.remaining() < interval:
                return
            time.sleep(interval)
        yield round_number


def announce_ipv4(nic: str, mac: bytes, address: IP, count: int,
                  interval: float, deadline: Deadline) -> int:
    """Send `count` rounds of gratuitous ARP; returns the rounds sent (fewer if time ran out)."""
    sent = 0
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((nic, ETH_P_ARP))
        frames = gratuitous_arp_frames(mac, address)
        for _ in _rounds(count, interval, deadline):
            for frame in frames:
                sock.send(frame)
            sent += 1
    return sent


def announce_ipv6(index: int, mac: bytes, address: IP, count: int,
                  interval: float, deadline: Deadline) -> int:
    sent = 0
    with socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as sock:
        # Neighbour discovery is only accepted with hop limit 255 (RFC 4861).
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        packet = neighbor_advert(mac, address)
        for _ in _rounds(count, interval, deadline):
            sock.sendto(packet, (ALL_NODES, 0, 0, index))
            sent += 1
    return sent


def parse_arp_reply(frame: bytes, address: IP) -> bytes | None:
    """The sender MAC if `frame` is an ARP packet from a host claiming `address`."""
    if len(frame) < _ETHERNET.size + _ARP.size:
        return None
    _dst, _src, ethertype = _ETHERNET.unpack_from(frame)
    if ethertype != ETH_P_ARP:
        return None
    fields = _ARP.unpack_from(frame, _ETHERNET.size)
    op, sender_mac, sender_ip = fields[4], fields[5], fields[6]
    if op in (ARP_REQUEST, ARP_REPLY) and sender_ip == address.packed:
        return sender_mac
    return None


def ipv4_holder(nic: str, mac: bytes, address: IP, wait: float) -> bytes | None:
    """ARP probe (RFC 5227): the MAC of another host that answers for `address`, else None."""
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP)) as sock:
        sock.bind((nic, ETH_P_ARP))
        sock.send(arp_frame(ARP_REQUEST, mac, b"\0\0\0\0", ZERO_MAC, address.packed))
        until = time.monotonic() + wait
        while (left := until - time.monotonic()) > 0:
            readable, _, _ = select.select([sock], [], [], left)
            if not readable:
                break
            holder = parse_arp_reply(sock.recv(2048), address)
            if holder is not None and holder != mac:
                return holder
    return None


def format_mac(mac: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in mac)
