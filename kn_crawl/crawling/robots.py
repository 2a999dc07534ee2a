"""robots.txt as RFC 9309 says, which is stricter than Scrapy's default.

Scrapy parses whatever a robots.txt request returns, so a 503 error page reads as "allow
all", and a network error also allows all. RFC 9309 §2.3.1.4: when robots.txt is unreachable
(5xx, network errors), the crawler must assume complete disallow. 4xx still means "no rules".

Scrapy also parses the whole body, however large: a 7 MB robots.txt took 16 s and 540 MB.
RFC 9309 §2.5 asks crawlers to parse at least the first 500 KiB, and allows them to stop
there: we read that much, cut at a line end.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from kn_crawl.crawling.failures import network_reason
from kn_crawl.crawling.signals import page_failed

logger = logging.getLogger(__name__)


class _NetworkErrorsWithoutTraceback(logging.Filter):
    """Scrapy logs a robots.txt download that failed with its whole traceback. For a network
    error (a dead server, a timeout) the one-line message says all, and the error is recorded
    as ``robots_unreachable`` by ``_robots_error``: the traceback is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and network_reason(exc) is not None:
            record.exc_info = None
            record.exc_text = None
        return True


_QUIET_NETWORK_ERRORS = _NetworkErrorsWithoutTraceback()

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
ROBOTS_MAX_BYTES = 500 * 1024


def robots_head(body: bytes, limit: int = ROBOTS_MAX_BYTES) -> bytes:
    """The part of a robots.txt that is parsed: its first ``limit`` bytes, up to the last
    line end among them (a rule cut in half could mean another rule)."""
    if len(body) <= limit:
        return body
    head = body[:limit]
    end = head.rfind(b"\n")
    return head[: end + 1] if end >= 0 else head


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._schemes: dict[str, str] = {}
        # Added once per process (a logger keeps one copy of a filter object).
        logging.getLogger(RobotsTxtMiddleware.__module__).addFilter(_QUIET_NETWORK_ERRORS)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        self._schemes.setdefault(url.netloc, url.scheme)
        parser = await super().robot_parser(request)
        # Requests that waited for the robots.txt download share one Deferred, and only the
        # first waiter is handed the parser (the others get None, i.e. "allow all"). The
        # parser is stored before the Deferred fires, so read it from there.
        stored = self._parsers.get(url.netloc)
        if parser is None and stored is not None and not isinstance(stored, Deferred):
            return stored
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._disallow_all(netloc, response.url, f"http_{response.status}")
            return
        if len(response.body) > ROBOTS_MAX_BYTES:
            logger.warning(
                "robots.txt of %s has %d bytes: only the first %d are read (RFC 9309)",
                netloc,
                len(response.body),
                ROBOTS_MAX_BYTES,
            )
            self._stats.inc_value("kn/robots_truncated")
            response = response.replace(body=robots_head(response.body))
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        scheme = self._schemes.get(netloc, "http")
        why = network_reason(exc) or type(exc).__name__
        self._disallow_all(netloc, f"{scheme}://{netloc}/robots.txt", why)

    def _disallow_all(self, netloc: str, url: str, why: str) -> None:
        logger.error(
            "robots.txt of %s unreachable (%s): crawling of this site is disallowed (RFC 9309)",
            netloc,
            why,
        )
        self._stats.inc_value("kn/robots_unreachable")
        self.crawler.signals.send_catch_log(
            signal=page_failed,
            url=url,
            stage="fetch",
            reason="robots_unreachable",
            detail=f"robots.txt unreachable ({why}); RFC 9309 says disallow all",
        )
        parser: RobotParser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(pending, Deferred):
            pending.callback(parser)
