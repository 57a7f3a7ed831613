"""Address classification of the safe fetcher: pure functions, no I/O."""

from __future__ import annotations

import ipaddress

import pytest

from wanstack.fetch import UnsafeURL, address_refusal, parse_ip_literal


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # one 32-bit decimal number
        ("017700000001", "127.0.0.1"),  # one octal number
        ("0x7f000001", "127.0.0.1"),  # one hex number
        ("0X7F000001", "127.0.0.1"),  # case does not matter
        ("0177.0.0.1", "127.0.0.1"),  # octal first part
        ("0x7f.0.0.1", "127.0.0.1"),  # hex first part
        ("0x7f.0x0.0x0.0x1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),  # a.b: b fills 24 bits
        ("127.0.1", "127.0.0.1"),  # a.b.c: c fills 16 bits
        ("0x7f.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),  # one trailing dot
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),  # inet_aton and WHATWG read a bare 0x as 0
        ("00000", "0.0.0.0"),
        ("169.254.169.254", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("1.0xffffff", "1.255.255.255"),
        ("8.8.8.8", "8.8.8.8"),
        ("4294967295", "255.255.255.255"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("0:0:0:0:0:ffff:127.0.0.1", "::ffff:7f00:1"),
        ("[2001:4860:4860::8888]", "2001:4860:4860::8888"),
    ],
)
def test_literals_are_normalised_like_a_c_resolver(host: str, expected: str) -> None:
    assert parse_ip_literal(host) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "localhost",
        "evil.test",
        "dead.cafe",
        "a1.b2",
        "1.2.3.example",
        "0x7f.com",
        "xn--bcher-kva.example",
        "metadata.google.internal",
        "127.0.0.1.nip.io",
    ],
)
def test_names_are_not_literals(host: str) -> None:
    assert parse_ip_literal(host) is None


@pytest.mark.parametrize(
    "host",
    [
        "256.0.0.1",  # part over 255
        "1.2.3.256",
        "1.2.65536",  # last part over 16 bits
        "1.16777216",  # last part over 24 bits
        "4294967296",  # over 32 bits
        "1.2.3.4.5",  # five parts
        "08.0.0.1",  # 8 is no octal digit: inet_aton fails, must not fall through to DNS
        "0x7g.0.0.1",
        "foo.0x10",  # ends in a number, so must be an address, and is not
        "1..1",
        "[::1%eth0]",  # zone ids
        "fe80::1%25eth0",
        "[::1::2]",
        "[:::]",
    ],
)
def test_number_like_hosts_that_are_no_address_are_refused(host: str) -> None:
    with pytest.raises(UnsafeURL):
        parse_ip_literal(host)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "CGNAT"),
        ("100.127.255.254", "CGNAT"),
        ("169.254.169.254", "metadata"),
        ("169.254.0.1", "link-local"),
        ("fe80::1", "link-local"),
        ("febf::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("ff0e::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("fc00::1", "unique-local"),
        ("fd12:3456:789a::1", "unique-local"),
        ("fec0::1", "site-local"),
        ("0.1.2.3", "non-public"),  # "this network"
        ("192.0.0.8", "non-public"),  # IETF protocol assignments
        ("192.88.99.1", "non-public"),  # old 6to4 relay anycast
        ("192.0.2.1", "non-public"),  # documentation
        ("198.18.0.1", "non-public"),  # benchmarking
        ("2001:db8::1", "non-public"),  # documentation
        ("100::1", "reserved"),  # discard-only
        ("64:ff9b:1::1", "reserved"),  # local-use NAT64
        # IPv4 carried in IPv6
        ("::ffff:127.0.0.1", "IPv4-mapped form of a loopback"),
        ("::ffff:7f00:1", "IPv4-mapped form of a loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped form of a private"),
        ("::ffff:169.254.169.254", "IPv4-mapped form of the link-local cloud metadata"),
        ("::ffff:0.0.0.0", "IPv4-mapped form of the unspecified"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("::8.8.8.8", "IPv4-compatible"),
        ("64:ff9b::127.0.0.1", "NAT64 form of a loopback"),
        ("64:ff9b::10.1.2.3", "NAT64 form of a private"),
        ("64:ff9b::a9fe:a9fe", "NAT64 form of the link-local cloud metadata"),
        ("2002:7f00:1::1", "6to4 form of a loopback"),
        ("2002:c0a8:101::1", "6to4 form of a private"),
        ("2002:a9fe:a9fe::", "6to4 form of the link-local"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("2001::1", "Teredo"),
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    problem = address_refusal(ipaddress.ip_address(address))
    assert problem is not None
    assert reason in problem


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "100.63.255.255",  # just below CGNAT
        "100.128.0.0",  # just above CGNAT
        "172.15.255.255",  # just below 172.16/12
        "172.32.0.0",  # just above
        "11.0.0.1",
        "223.255.255.254",
        "2001:4860:4860::8888",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",  # mapped public: it *is* 8.8.8.8
        "64:ff9b::8.8.8.8",  # NAT64 of a public address
        "2002:808:808::1",  # 6to4 of a public address
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",
        "0177.0.0.1",
        "0x7f000001",
        "0x7f.0.0.1",
        "127.1",
        "0",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:ffff:127.0.0.1]",
        "0251.0376.0251.0376",
        "0xa9.0xfe.0xa9.0xfe",
        "10.1",
        "[fe80::1]",
        "[::]",
    ],
)
def test_odd_literal_notations_end_up_refused(host: str) -> None:
    ip = parse_ip_literal(host)
    assert ip is not None
    assert address_refusal(ip) is not None
