"""The origin policy's pure rules: origins, private addresses in every spelling."""

from __future__ import annotations

import pytest

from kn_crawl.crawling.origin import (
    Origin,
    OriginPolicy,
    is_private_address,
    origin_of,
    parse_address,
)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://www.kommune21.de/", Origin("https", "www.kommune21.de", 443)),
        ("https://www.kommune21.de:443/x", Origin("https", "www.kommune21.de", 443)),
        ("HTTPS://WWW.Kommune21.DE./x?y#z", Origin("https", "www.kommune21.de", 443)),
        ("http://www.kommune21.de/", Origin("http", "www.kommune21.de", 80)),
        ("http://www.kommune21.de:80", Origin("http", "www.kommune21.de", 80)),
        ("http://127.0.0.1:8021/k21-meldungen/", Origin("http", "127.0.0.1", 8021)),
        ("http://[::1]:8021/", Origin("http", "::1", 8021)),
        ("http://user:pw@example.org:8080/", Origin("http", "example.org", 8080)),
        ("https://bücher.de/", Origin("https", "xn--bcher-kva.de", 443)),
        ("ftp://example.org/", None),
        ("file:///etc/passwd", None),
        ("data:text/html,hi", None),
        ("javascript:alert(1)", None),
        ("/k21-meldungen/x/", None),
        ("//example.org/x", None),
        ("http://example.org:99999/", None),
        ("http://example.org:ab/", None),
        ("http:///path", None),
        ("", None),
    ],
)
def test_origin_of(url: str, origin: Origin | None) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    ("origin", "text"),
    [
        (Origin("https", "www.kommune21.de", 443), "https://www.kommune21.de"),
        (Origin("http", "127.0.0.1", 8021), "http://127.0.0.1:8021"),
        (Origin("http", "::1", 80), "http://[::1]"),
        (Origin("https", "example.org", 80), "https://example.org:80"),
    ],
)
def test_origin_str(origin: Origin, text: str) -> None:
    assert str(origin) == text


@pytest.mark.parametrize(
    ("host", "private"),
    [
        # loopback
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("api.localhost", True),
        ("::1", True),
        ("[::1]", True),
        # link-local, the metadata service
        ("169.254.169.254", True),
        ("169.254.0.1", True),
        ("fe80::1", True),
        ("fe80::1%eth0", True),
        ("fd00:ec2::254", True),  # AWS metadata over IPv6 (unique local)
        # private, shared, unspecified, reserved, multicast, documentation
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("172.31.255.255", True),
        ("192.168.1.1", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("::", True),
        ("240.0.0.1", True),
        ("255.255.255.255", True),
        ("224.0.0.1", True),
        ("239.255.255.250", True),
        ("ff02::1", True),
        ("192.0.2.1", True),
        ("fc00::1", True),
        # IPv4 inside IPv6
        ("::ffff:169.254.169.254", True),
        ("::ffff:a9fe:a9fe", True),
        ("::ffff:127.0.0.1", True),
        ("::169.254.169.254", True),  # IPv4-compatible (deprecated, reserved)
        ("64:ff9b::a9fe:a9fe", True),  # NAT64 of 169.254.169.254
        ("64:ff9b::10.0.0.1", True),
        ("::ffff:8.8.8.8", False),
        ("64:ff9b::808:808", False),
        # other spellings of IPv4 addresses, as inet_aton (the resolver) reads them
        ("2852039166", True),  # 169.254.169.254 in decimal
        ("0xa9fea9fe", True),  # in hex
        ("0xA9FEA9FE", True),
        ("0251.0376.0251.0376", True),  # in octal
        ("169.254.43518", True),  # 169.254.169.254, last two parts as one
        ("0x7f.1", True),  # 127.0.0.1
        ("017700000001", True),  # 127.0.0.1 in octal
        ("2130706433", True),  # 127.0.0.1
        ("0", True),  # 0.0.0.0
        ("10.1", True),  # 10.0.0.1
        ("167772161", True),  # 10.0.0.1
        # public
        ("8.8.8.8", False),
        ("134744072", False),  # 8.8.8.8 in decimal
        ("2001:4860:4860::8888", False),
        ("www.kommune21.de", False),
        ("example.org", False),
        ("localhost.example.org", False),
        ("0x.example.org", False),
        ("1.2.3.4.5", False),  # not an address (inet_aton refuses), a (bad) host name
        ("", False),
    ],
)
def test_is_private_address(host: str, private: bool) -> None:
    assert is_private_address(host) is private


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2852039166", "169.254.169.254"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("[::ffff:a9fe:a9fe]", "::ffff:a9fe:a9fe"),
        ("www.kommune21.de", None),
        ("08.1.1.1", None),  # 08 is not octal: inet_aton refuses it
    ],
)
def test_parse_address(host: str, address: str | None) -> None:
    parsed = parse_address(host)
    assert (str(parsed) if parsed is not None else None) == address


REAL = OriginPolicy.for_base_url("https://www.kommune21.de/")
MIRROR = OriginPolicy.for_base_url("http://127.0.0.1:8021/")


@pytest.mark.parametrize(
    ("policy", "url", "allowed"),
    [
        (REAL, "https://www.kommune21.de/k21-meldungen/x/", True),
        (REAL, "https://WWW.kommune21.de:443/k21-meldungen/x/", True),
        (REAL, "http://www.kommune21.de/k21-meldungen/x/", False),
        (REAL, "https://kommune21.de/k21-meldungen/x/", False),
        (REAL, "https://www.kommune21.de:8443/", False),
        (REAL, "https://www.move-online.de/", False),
        (REAL, "/k21-meldungen/x/", False),
        (REAL, "ftp://www.kommune21.de/", False),
        (MIRROR, "http://127.0.0.1:8021/k21-meldungen/x/", True),
        (MIRROR, "http://127.0.0.1:8022/k21-meldungen/x/", False),
        (MIRROR, "http://localhost:8021/", False),
        (MIRROR, "http://2130706433:8021/", False),
        (MIRROR, "https://127.0.0.1:8021/", False),
    ],
)
def test_policy_allows(policy: OriginPolicy, url: str, allowed: bool) -> None:
    assert policy.allows(url) is allowed


@pytest.mark.parametrize(
    ("policy", "url", "refused"),
    [
        (REAL, "https://www.kommune21.de/", False),
        (REAL, "https://www.move-online.de/", False),  # off-origin, but not an address matter
        (REAL, "http://169.254.169.254/latest/meta-data/", True),
        (REAL, "http://10.0.0.1/", True),
        (REAL, "http://127.0.0.1:8021/", True),
        (REAL, "http://localhost/", True),
        (REAL, "http://2852039166/", True),
        (REAL, "http://[::ffff:169.254.169.254]/", True),
        (REAL, "ftp://10.0.0.1/", False),  # not http(s): refused as off-origin instead
        # The mirror's own host is allowed (other ports are then off-origin, not addresses),
        # the rest of the machine and the network are not.
        (MIRROR, "http://127.0.0.1:8021/", False),
        (MIRROR, "http://127.0.0.1:8022/", False),
        (MIRROR, "http://169.254.169.254/", True),
        (MIRROR, "http://10.0.0.1/", True),
        (MIRROR, "http://localhost:8021/", True),
        (MIRROR, "http://127.0.0.2:8021/", True),
    ],
)
def test_policy_refuses_address(policy: OriginPolicy, url: str, refused: bool) -> None:
    assert policy.refuses_address(url) is refused


def test_policy_origins_are_a_list_a_catalogue_can_extend() -> None:
    policy = OriginPolicy.for_base_url("https://www.kommune21.de/")
    assert not policy.allows("https://kommune21.de/x/")
    policy.origins.append(Origin("https", "kommune21.de", 443))
    assert policy.allows("https://kommune21.de/x/")
    assert repr(policy) == "OriginPolicy([https://www.kommune21.de, https://kommune21.de])"


def test_policy_needs_http_base_urls() -> None:
    with pytest.raises(ValueError, match="no http"):
        OriginPolicy.for_base_url("ftp://example.org/")


@pytest.mark.parametrize(
    ("policy", "url", "reason"),
    [
        (MIRROR, "http://127.0.0.1:8021/k21-meldungen/x/", None),
        (MIRROR, "http://127.0.0.1:8022/k21-meldungen/x/", "offsite_redirect"),
        (MIRROR, "http://169.254.169.254/latest/meta-data/", "private_address"),
        (MIRROR, "http://0xa9fea9fe/", "private_address"),
        (MIRROR, "https://www.kommune21.de/", "offsite_redirect"),
        (REAL, "https://www.kommune21.de/x/", None),
        (REAL, "http://10.0.0.1/", "private_address"),
        (REAL, "mailto:redaktion@kommune21.de", "offsite_redirect"),
    ],
)
def test_policy_refusal(policy: OriginPolicy, url: str, reason: str | None) -> None:
    assert policy.refusal(url, "offsite_redirect") == reason
