"""One limit of requests in flight per web host, across all crawlers of a process.

Scrapy limits concurrency per downloader slot, and every crawler has its own downloader: a
batch holding four sources of one host (four newsrooms of one city's server) would send four
times ``KN_CONCURRENT_PER_SITE`` requests to it at once. This middleware sits last before the
downloader: a request waits here until its host (``kn_crawl.batch.plan.host_of``: no port, so
the ports of one machine are one host) has fewer than ``CONCURRENT_REQUESTS_PER_DOMAIN``
requests past this point, in this process. Being the last middleware, it is also the first
to see the download's response or exception, where it lets the next request of that host go.
A request that waited here while its site asked for a rest (``Retry-After``) is not sent.
"""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import DeferredSemaphore

from kn_crawl.crawling.ratelimit import SourcePostponed, postponed

_GATES: dict[str, DeferredSemaphore] = {}
"""One per web host and process (the crawlers of a batch share the reactor and this dict)."""


def gate(host: str, limit: int) -> DeferredSemaphore:
    existing = _GATES.get(host)
    if existing is None:
        existing = _GATES[host] = DeferredSemaphore(limit)
    return existing


class HostGateMiddleware:
    def __init__(self, crawler: Crawler, limit: int) -> None:
        self.crawler = crawler
        self.limit = max(limit, 1)
        self._holding: dict[int, DeferredSemaphore] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2))

    async def process_request(self, request: Request) -> None:
        host = (urlparse_cached(request).hostname or "").rstrip(".").lower()
        if not host:
            return
        semaphore = gate(host, self.limit)
        await maybe_deferred_to_future(semaphore.acquire())
        until = postponed(self.crawler)
        if until is not None:
            semaphore.release()
            raise SourcePostponed(f"source postponed until {until.isoformat()}")
        self._holding[id(request)] = semaphore

    def _release(self, request: Request) -> None:
        semaphore = self._holding.pop(id(request), None)
        if semaphore is not None:
            semaphore.release()

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)
        return None
