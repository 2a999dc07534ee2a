"""robots.txt as RFC 9309 says, which is stricter than Scrapy's default.

Scrapy parses whatever a robots.txt request returns, so a 503 error page reads as "allow
all", and a network error also allows all. RFC 9309 §2.3.1.4: when robots.txt is unreachable
(5xx, network errors), the crawler must assume complete disallow. 4xx still means "no rules".

Scrapy also parses the whole body, however large: a 7 MB robots.txt took 16 s and 540 MB.
RFC 9309 §2.5 asks crawlers to parse at least the first 500 KiB, and allows them to stop
there: we read that much, cut at a line end.

A robots.txt answer that says something (2xx: rules; 4xx: no rules) is kept in the database
for ``KN_ROBOTS_CACHE`` seconds (RFC 9309 §2.4: up to 24 hours) and shared by the crawlers
of a batch (robots_cache.py): an unchanged refresh then sends no robots.txt request.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.defer import Deferred

from kn_crawl.crawling.failures import network_reason
from kn_crawl.crawling.robots_cache import SHARED, RobotsAnswer, cacheable, read_fresh, store
from kn_crawl.crawling.run import run_of
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
        self._keep = crawler.settings.getfloat("KN_ROBOTS_CACHE", 0.0)
        # Origins this crawler fetches for the whole process: answered when it closes, at
        # the latest, so no other crawler waits for ever.
        self._fetching: set[str] = set()
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)
        # Added once per process (a logger keeps one copy of a filter object).
        logging.getLogger(RobotsTxtMiddleware.__module__).addFilter(_QUIET_NETWORK_ERRORS)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        self._schemes.setdefault(url.netloc, url.scheme)
        if url.netloc not in self._parsers and self._keep > 0:
            answer = await self._cached(f"{url.scheme}://{url.netloc}")
            if answer is not None and url.netloc not in self._parsers:
                self._parsers[url.netloc] = build_from_crawler(
                    self._parserimpl, self.crawler, answer.body
                )
                self._stats.inc_value("kn/robots_cached")
        parser = await super().robot_parser(request)
        # Requests that waited for the robots.txt download share one Deferred, and only the
        # first waiter is handed the parser (the others get None, i.e. "allow all"). The
        # parser is stored before the Deferred fires, so read it from there.
        stored = self._parsers.get(url.netloc)
        if parser is None and stored is not None and not isinstance(stored, Deferred):
            return stored
        return parser

    def _engine(self) -> Engine | None:
        # The run's database; a crawl that records no run keeps no cache (it still shares).
        run = run_of(self.crawler)
        return run.engine if run is not None else None

    async def _cached(self, origin: str) -> RobotsAnswer | None:
        """The origin's answer without a request: from this process, the database, or
        another crawler's fetch in flight. None: this crawler fetches it."""
        answer = SHARED.known(origin)
        if answer is not None:
            return answer
        engine = self._engine()
        if engine is not None:
            try:
                answer = read_fresh(engine, origin, now=datetime.now(UTC))
            except SQLAlchemyError as exc:
                logger.warning("robots.txt cache of %s not read: %s", origin, exc)
            if answer is not None:
                SHARED.remember(origin, answer)
                return answer
        waiter = SHARED.wait_or_fetch(origin)
        if waiter is None:
            self._fetching.add(origin)
            return None
        return await maybe_deferred_to_future(waiter)

    def _origin(self, netloc: str) -> str:
        return f"{self._schemes.get(netloc, 'http')}://{netloc}"

    def _keep_answer(self, netloc: str, answer: RobotsAnswer | None) -> None:
        origin = self._origin(netloc)
        if answer is not None and self._keep > 0:
            engine = self._engine()
            if engine is not None:
                try:
                    store(engine, origin, answer, now=datetime.now(UTC), keep=self._keep)
                except SQLAlchemyError as exc:
                    logger.warning("robots.txt of %s not cached: %s", origin, exc)
        SHARED.resolve(origin, answer)
        self._fetching.discard(origin)

    def _spider_closed(self) -> None:
        for origin in list(self._fetching):
            SHARED.resolve(origin, None)
        self._fetching.clear()

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._disallow_all(netloc, response.url, f"http_{response.status}")
            self._keep_answer(netloc, None)
            return
        if 400 <= response.status < 500:
            # RFC 9309 §2.3.1.3: "unavailable" means no rules, whatever the error page says.
            response = response.replace(body=b"")
        if len(response.body) > ROBOTS_MAX_BYTES:
            logger.warning(
                "robots.txt of %s has %d bytes: only the first %d are read (RFC 9309)",
                netloc,
                len(response.body),
                ROBOTS_MAX_BYTES,
            )
            self._stats.inc_value("kn/robots_truncated")
            response = response.replace(body=robots_head(response.body))
        self._keep_answer(
            netloc,
            RobotsAnswer(response.status, response.body) if cacheable(response.status) else None,
        )
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._keep_answer(netloc, None)
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
