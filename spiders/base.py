"""What every news spider shares: its base URL, politeness, and recording failed pages."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from kn_crawl.crawling.signals import page_failed
from kn_crawl.settings import ConfigError, Settings


def normalize_base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"base URL {url!r} is not an absolute http(s) URL")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc.lower()}{path}"


def failure_reason(failure: Failure) -> tuple[str, str]:
    """A short reason code and a readable detail for a failed request."""
    exc = failure.value
    if failure.check(HttpError):
        status = exc.response.status
        return f"http_{status}", f"HTTP {status}"
    if failure.check(DNSLookupError):
        return "dns", str(exc)
    if failure.check(TimeoutError, TCPTimedOutError):
        return "timeout", str(exc)
    if failure.check(ConnectionRefusedError):
        return "connection_refused", str(exc)
    if failure.check(IgnoreRequest) and "robots.txt" in str(exc):
        return "robots_disallowed", str(exc)
    return type(exc).__name__.lower()[:64], f"{type(exc).__name__}: {exc}"


class NewsSpider(scrapy.Spider):
    """Base class: a subclass declares one source (name, title, default base URL)."""

    family: ClassVar[str]
    source_title: ClassVar[str]
    default_base_url: ClassVar[str]

    def __init__(self, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        configured = Settings.from_env().base_urls.get(self.name)
        self.base_url = normalize_base_url(base_url or configured or self.default_base_url)
        # Offsite filtering is by host name; ports are checked by the spider's classifier.
        host = urlsplit(self.base_url).hostname
        self.allowed_domains = [host] if host else []

    def url(self, path: str) -> str:
        """An absolute URL on this source for ``path`` (relative to the base URL)."""
        return self.base_url + path.lstrip("/")

    def record_failure(self, failure: Failure) -> None:
        """Errback: every request that ends in an error is recorded with its reason."""
        request = failure.request  # type: ignore[attr-defined]
        reason, detail = failure_reason(failure)
        self.crawler.signals.send_catch_log(
            signal=page_failed, url=request.url, stage="fetch", reason=reason, detail=detail
        )
