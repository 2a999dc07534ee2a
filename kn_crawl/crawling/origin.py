"""Origin policy: which origins (scheme, host, port) a source may fetch and store, and which
addresses are off limits. Pure functions and values; the Scrapy side is ``origin_guard``.

An origin is exact: ``https://www.kommune21.de`` is not ``http://www.kommune21.de`` (another
port, and a page served without TLS) nor ``https://kommune21.de``. A site that moved to https
shows up as refused redirects (``offsite_redirect``) until its base URL is changed, instead of
being followed silently. Only the default port is normalised (``:443`` on https is no port).

Addresses: a host that is, or is spelled as, a loopback, link-local (the cloud metadata
service at 169.254.169.254 included), private, shared, reserved, unspecified or multicast
address is never fetched, unless it is the host of one of the source's own origins (the
offline mirror on 127.0.0.1). Host names are not resolved here; a literal address is read the
way the resolver reads it (``inet_aton``: ``2852039166``, ``0xa9fea9fe``, ``0251.0376.0251.0376``
and ``169.254.43518`` are all 169.254.169.254).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = [
    "REFUSAL_REASONS",
    "Origin",
    "OriginPolicy",
    "is_private_address",
    "origin_of",
    "parse_address",
]

# Reasons of the policy's refusals: pages kn-crawl chose not to fetch or follow, not pages the
# site failed to deliver (so they never count towards a run's errors or "mostly failed").
REFUSAL_REASONS = frozenset(
    {
        "offsite_redirect",
        "offsite_meta_refresh",
        "offsite_next",
        "offsite_feed_entry",
        "offsite_request",
        "private_address",
    }
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
# What inet_aton takes for an IPv4 address: one to four parts, each decimal, octal (leading
# 0) or hex (0x). Anything else is a host name.
_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$")
# NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits and reaches it through the
# local NAT64 gateway.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == _DEFAULT_PORTS[self.scheme]:
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"


def _host_of(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a bad port ("x:99999") or a broken IPv6 literal
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def origin_of(url: str) -> Origin | None:
    """The origin of an absolute http(s) URL (host lower-cased, trailing dot and default port
    normalised); None for anything else (relative, other schemes, unparsable)."""
    split = _host_of(url)
    if split is None:
        return None
    scheme, host, port = split
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    return Origin(scheme, host, port)


def parse_address(host: str) -> IPAddress | None:
    """The IP address ``host`` stands for when it is a literal address in any spelling a
    resolver accepts (IPv6 with or without brackets and zone; IPv4 dotted, decimal, octal or
    hex); None for a host name."""
    host = host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")
    host = host.partition("%")[0]  # IPv6 zone id: fe80::1%eth0
    if not host:
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:  # "1.2.3.4.5", "999999999999": not an address, not a name either
            return None
    return None


def _special(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is None and address in _NAT64:
            mapped = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if mapped is not None:
            return _special(mapped)
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_unspecified
        or address.is_multicast
        # Everything else that is not globally routed: shared address space (100.64/10),
        # benchmarking, documentation ranges, …
        or not address.is_global
    )


def is_private_address(host: str) -> bool:
    """True if ``host`` is ``localhost`` (or a ``.localhost`` name, RFC 6761) or a literal
    address that is not globally routed: loopback, link-local (169.254.169.254 included),
    private, shared, reserved, unspecified, multicast, and their IPv6 forms (IPv4-mapped and
    NAT64 addresses are judged by the IPv4 address inside)."""
    name = host.strip().lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = parse_address(name)
    return address is not None and _special(address)


class OriginPolicy:
    """The origins one source may fetch and store. ``origins`` is a plain list: the source's
    base URL gives the first, a catalogue may add more."""

    def __init__(self, origins: Iterable[Origin]) -> None:
        self.origins: list[Origin] = list(origins)

    @classmethod
    def for_base_url(cls, base_url: str, *more: str) -> OriginPolicy:
        origins = []
        for url in (base_url, *more):
            origin = origin_of(url)
            if origin is None:
                raise ValueError(f"{url!r} has no http(s) origin")
            origins.append(origin)
        return cls(origins)

    def allows(self, url: str) -> bool:
        """True if ``url`` is on one of the source's origins."""
        return origin_of(url) in self.origins

    def refuses_address(self, url: str) -> bool:
        """True if ``url`` points at a private or special address (see
        ``is_private_address``) that is not the host of one of the source's own origins: the
        mirror on 127.0.0.1 may fetch from 127.0.0.1, and nothing else on the machine."""
        split = _host_of(url)
        if split is None:
            return False  # not http(s): refused as off-origin, not as an address
        host = split[1].lower()
        if not is_private_address(host):
            return False
        return host not in {origin.host for origin in self.origins}

    def refusal(self, url: str, offsite_reason: str) -> str | None:
        """Why fetching ``url`` is refused: ``private_address`` (see ``refuses_address``),
        ``offsite_reason`` when it is on none of the origins, None when it may be fetched."""
        if self.refuses_address(url):
            return "private_address"
        if not self.allows(url):
            return offsite_reason
        return None

    def __repr__(self) -> str:
        return f"OriginPolicy([{', '.join(str(o) for o in self.origins)}])"
