"""Short reason codes for failed downloads: what ``dropped_items.reason`` says, and what the
next run retries (codes starting like ``kn_crawl.crawling.known.TRANSIENT_REASONS_PREFIXES``).

Scrapy 2.13+ wraps Twisted's network errors in its own exceptions (a timeout is a
``DownloadTimeoutError``, a body cut by a dropped connection a ``ResponseDataLossError``); both
families are mapped, so a timeout is ``timeout`` and is fetched again by the next run instead
of being recorded under a class name that no retry rule knows.
"""

from __future__ import annotations

import re

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

# Exception classes by reason code, most specific first.
NETWORK_REASONS: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("dns", (DNSLookupError, CannotResolveHostError)),
    ("timeout", (TimeoutError, TCPTimedOutError, DownloadTimeoutError)),
    ("connection_refused", (ConnectionRefusedError, DownloadConnectionRefusedError)),
    ("connection_no_response", (ResponseNeverReceived,)),  # a ResponseFailed: before it
    (
        "connection_lost",
        (ResponseDataLossError, ConnectionLost, ConnectionDone, ResponseFailed),
    ),
)

# The words of Scrapy's size-cap messages (a body over DOWNLOAD_MAXSIZE while downloading, or
# while decompressing): its exception classes say only "cancelled" or "ignored". The fault
# matrix's page_over_size_cap and gzip_bomb rows fail if Scrapy rewords them.
_OVER_SIZE = re.compile(r"max size|DOWNLOAD_MAXSIZE")


def network_reason(exc: BaseException) -> str | None:
    """The reason code of a network-level failure (the site or the network, worth retrying),
    or None when ``exc`` is none of those."""
    for reason, classes in NETWORK_REASONS:
        if isinstance(exc, classes):
            return reason
    return None


def download_reason(exc: BaseException) -> tuple[str, str]:
    """A short reason code and a one-line detail for a request that ended in ``exc`` (HTTP
    errors are handled by the caller, which has the response)."""
    reason = network_reason(exc)
    if reason is not None:
        return reason, f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, IgnoreRequest | DownloadCancelledError) and _OVER_SIZE.search(str(exc)):
        return "too_large", str(exc)[:500]
    if isinstance(exc, IgnoreRequest) and "robots.txt" in str(exc):
        return "robots_disallowed", str(exc)
    return type(exc).__name__.lower()[:64], f"{type(exc).__name__}: {exc}"[:500]
