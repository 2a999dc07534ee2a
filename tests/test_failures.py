"""Reason codes of failed downloads: Scrapy's and Twisted's exceptions alike, so that the
transient ones are retried by the next run."""

from __future__ import annotations

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.web._newclient import ResponseNeverReceived

from kn_crawl.crawling.failures import download_reason
from kn_crawl.crawling.known import TRANSIENT_REASONS_PREFIXES


@pytest.mark.parametrize(
    ("exc", "reason", "transient"),
    [
        (DownloadTimeoutError("Getting http://x/ took longer than 3 seconds."), "timeout", True),
        (TimeoutError(), "timeout", True),
        (TCPTimedOutError(), "timeout", True),
        (ResponseDataLossError("Got data loss in http://x/"), "connection_lost", True),
        (ConnectionLost(), "connection_lost", True),
        (ResponseNeverReceived([]), "connection_no_response", True),
        (DownloadConnectionRefusedError("refused"), "connection_refused", True),
        (ConnectionRefusedError(), "connection_refused", True),
        (CannotResolveHostError("no.such.host"), "dns", True),
        (DNSLookupError(), "dns", True),
        (
            DownloadCancelledError(
                "Received 10485760 bytes which is larger than download max size (8388608) in "
                "request <GET http://x/>."
            ),
            "too_large",
            False,
        ),
        (
            IgnoreRequest(
                "Ignored response <200 http://x/> because its body (9 B compressed, 9000000 B "
                "decompressed so far) exceeded DOWNLOAD_MAXSIZE (8388608 B) during decompression."
            ),
            "too_large",
            False,
        ),
        (IgnoreRequest("Forbidden by robots.txt"), "robots_disallowed", False),
        (ValueError("odd"), "valueerror", False),
    ],
)
def test_download_reason(exc: BaseException, reason: str, transient: bool) -> None:
    code, detail = download_reason(exc)
    assert code == reason
    assert detail.count("\n") == 0
    assert code.startswith(TRANSIENT_REASONS_PREFIXES) is transient
