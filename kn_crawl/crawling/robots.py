"""robots.txt as RFC 9309 says, which is stricter than Scrapy's default.

Scrapy parses whatever a robots.txt request returns, so a 503 error page reads as "allow
all", and a network error also allows all. RFC 9309 §2.3.1.4: when robots.txt is unreachable
(5xx, network errors), the crawler must assume complete disallow. 4xx still means "no rules".
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

from kn_crawl.crawling.signals import page_failed

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._schemes: dict[str, str] = {}

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
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        scheme = self._schemes.get(netloc, "http")
        self._disallow_all(netloc, f"{scheme}://{netloc}/robots.txt", type(exc).__name__)

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
