"""ocf_lib.ip against the standard library's ipaddress, which it replaces on the monitor path."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocf_lib import ip

pytestmark = pytest.mark.unit

ADDRESSES = ["10.0.0.1", "0.0.0.0", "127.0.0.1", "224.0.0.1", "169.254.1.1",
             "255.255.255.255", "::", "::1", "fe80::1", "ff02::1", "2001:db8::42", "fd77::100",
             "2001:db8:0:0:1:0:0:1"]


@pytest.mark.parametrize("text", ADDRESSES)
def test_properties_agree_with_ipaddress(text: str) -> None:
    ours, theirs = ip.parse(text), ipaddress.ip_address(text)
    assert str(ours) == str(theirs) and ours.version == theirs.version
    assert ours.packed == theirs.packed
    assert ours.is_unspecified == theirs.is_unspecified
    assert ours.is_loopback == theirs.is_loopback
    assert ours.is_multicast == theirs.is_multicast
    assert ours.is_link_local == theirs.is_link_local


@pytest.mark.parametrize("text", ["1.2.3", "1.2.3.4.5", "256.1.1.1", "010.1.1.1", "1.2.3.4 ",
                                  "fd77::1%eth0", "::g", "", "١.٢.٣.٤", "1.2.3.4/24"])
def test_rejects_what_is_not_a_plain_address(text: str) -> None:
    with pytest.raises(ValueError):
        ip.parse(text)


@given(st.ip_addresses(), st.integers(min_value=0, max_value=128), st.ip_addresses())
def test_network_membership_agrees_with_ipaddress(base, prefix, candidate) -> None:
    prefix = min(prefix, base.max_prefixlen)
    network = ipaddress.ip_network(f"{base}/{prefix}", strict=False)
    ours = ip.Network(ip.parse(str(base)), prefix)
    assert ours.contains(ip.parse(str(candidate))) == (candidate in network)


@pytest.mark.parametrize("mask,prefix", [("255.255.255.0", 24), ("255.255.255.255", 32),
                                          ("255.255.255.128", 25), ("0.0.0.0", 0)])
def test_netmask_to_prefix(mask: str, prefix: int) -> None:
    assert ip.netmask_prefix(mask) == prefix


def test_non_contiguous_netmask_is_refused() -> None:
    with pytest.raises(ValueError):
        ip.netmask_prefix("255.0.255.0")
