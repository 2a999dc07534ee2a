"""``Retry-After`` honoured, for this run and the next ones.

Scrapy's RetryMiddleware (2.19) retries a 429 or 503 at once, whatever ``Retry-After`` says:
a site that asks for an hour's rest got three requests within seconds. Here:

* a short ``Retry-After`` (up to the download timeout) is waited before Scrapy retries, and
  the site's download slot waits as long between requests (AutoThrottle lowers it again);
* a longer one postpones the source: no further request is sent in this run (they are
  ignored, not recorded one by one), ``rate_limited`` is recorded once with the time, the run
  ends ``failed`` with finish_reason ``rate_limited``, and the time is kept in the run's
  ``stats`` (``kn/rate_limited_until``). A later run of the source that starts before that
  time sends nothing and ends the same way, carrying the time on.

The time is capped at ``MAX_POSTPONE`` after the answer: a broken or hostile header must not
switch a source off for good.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.task import deferLater

from kn_crawl.crawling.signals import page_failed
from kn_crawl.db.engine import get_engine
from kn_crawl.db.errors import db_error_line
from kn_crawl.db.models import CrawlRun, Source
from kn_crawl.db.runs import NOT_CRAWLED
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)

RATE_LIMIT_STATUSES = frozenset({429, 503})
MAX_POSTPONE = timedelta(days=1)
STATS_KEY = "kn/rate_limited_until"


class SourcePostponed(IgnoreRequest):
    """The source asked not to be crawled before a time; the request was not sent. Recorded
    once per run by the middleware, not per request."""


def postponed(crawler: Crawler) -> datetime | None:
    """Until when the crawler's source asked for a rest (None: it did not). The per-host gate
    (host_gate.py) asks before it lets a waiting request go: requests that waited there
    passed this middleware before the site asked."""
    until: datetime | None = getattr(crawler, _POSTPONED, None)
    return until


_POSTPONED = "kn_postponed_until"


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait by a ``Retry-After`` value (RFC 9110 §10.2.3: a number of seconds or
    an HTTP date); 0 for a date in the past; None when the value means nothing. At most
    ``MAX_POSTPONE``: a hostile ``Retry-After: 999999999999`` must neither overflow the date
    arithmetic nor be waited for."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(float(int(text)), MAX_POSTPONE.total_seconds())
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return min(max((when - now).total_seconds(), 0.0), MAX_POSTPONE.total_seconds())


def postponed_until(engine: Engine, source: str, *, now: datetime) -> datetime | None:
    """The time the source's last finished run was told to wait for, if it is still ahead."""
    with engine.connect() as conn:
        stats = conn.execute(
            select(CrawlRun.stats)
            .join(Source, Source.id == CrawlRun.source_id)
            .where(Source.name == source, CrawlRun.status.not_in(NOT_CRAWLED))
            .order_by(CrawlRun.id.desc())
            .limit(1)
        ).scalar()
    raw = stats.get(STATS_KEY) if isinstance(stats, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        until = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if until.tzinfo is None:
        return None
    return until if until > now else None


class RetryAfterMiddleware:
    """Downloader middleware, just above Scrapy's RetryMiddleware (its ``process_response``
    runs first)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.threshold = crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 30.0)
        self.max_retry_times = crawler.settings.getint("RETRY_TIMES")
        self.until: datetime | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.response_downloaded, signal=signals.response_downloaded)
        return mw

    def spider_opened(self, spider: Spider) -> None:
        if not self.crawler.settings.getbool("KN_RECORD_RUNS", True):
            return
        now = datetime.now(UTC)
        engine = get_engine(Settings.from_env().database_url)
        try:
            until = postponed_until(engine, spider.name, now=now)
        except SQLAlchemyError as exc:
            # A database not migrated yet (``scrapy crawl`` on a new file: the run recorder
            # migrates it next) has no earlier run to have been told to wait; any other
            # error stops the crawl in the run recorder.
            logger.info("no postponement read for %s: %s", spider.name, db_error_line(exc))
            until = None
        if until is not None:
            self._postpone(
                until,
                getattr(spider, "base_url", ""),
                f"postponed: the site asked not to be crawled before {until.isoformat()}",
            )

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Sent as the answer arrives, before the downloader sends the next request queued
        for the site (and before any middleware sees the answer): the last moment to keep
        those requests from being sent."""
        if response.status not in RATE_LIMIT_STATUSES or self.until is not None:
            return
        header = response.headers.get(b"Retry-After")
        text = header.decode("latin-1") if header else None
        now = datetime.now(UTC)
        delay = retry_after_seconds(text, now=now)
        if delay is None:
            return
        if delay > self.threshold:
            self._postpone(
                now + timedelta(seconds=delay),
                response.url,
                f"HTTP {response.status} with Retry-After: {text}",
            )
            self._drop_queued()
            return
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        key = request.meta.get("download_slot")
        slot = downloader.slots.get(key) if downloader and isinstance(key, str) else None
        if slot is not None:
            slot.delay = max(slot.delay, delay)

    def _drop_queued(self) -> None:
        """Fail the requests waiting in the downloader's queues (they passed this middleware
        before the site asked for a rest): they are not sent."""
        if self.crawler.engine is None:
            return
        for slot in self.crawler.engine.downloader.slots.values():
            while slot.queue:
                _, waiting = slot.queue.popleft()
                waiting.errback(SourcePostponed(f"source postponed until {self.until}"))

    async def process_request(self, request: Request) -> None:
        if self.until is not None:
            raise SourcePostponed(f"source postponed until {self.until.isoformat()}")

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in RATE_LIMIT_STATUSES:
            return response
        if self.until is not None:
            # The answer that postponed the source (not retried), or one of the same kind
            # that was on its way already.
            raise SourcePostponed(f"source postponed until {self.until.isoformat()}")
        header = response.headers.get(b"Retry-After")
        now = datetime.now(UTC)
        delay = retry_after_seconds(header.decode("latin-1") if header else None, now=now)
        if delay is None:
            return response
        retries = int(request.meta.get("retry_times", 0))
        # A longer delay postponed the source in response_downloaded; never wait longer here.
        delay = min(delay, self.threshold)
        if delay > 0 and not request.meta.get("dont_retry") and retries < self.max_retry_times:
            # Waited here, then Scrapy's RetryMiddleware sends the retry. (The reactor is
            # imported here: importing it at module level would install the default one
            # before Scrapy installs its own.)
            from twisted.internet import reactor

            await maybe_deferred_to_future(deferLater(reactor, delay))
        return response

    def _postpone(self, until: datetime, url: str, why: str) -> None:
        if self.until is not None:
            return
        now = datetime.now(UTC)
        self.until = min(until, now + MAX_POSTPONE)
        setattr(self.crawler, _POSTPONED, self.until)
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value(STATS_KEY, self.until.isoformat())
        logger.error("%s: no requests to this source until %s", why, self.until.isoformat())
        self.crawler.signals.send_catch_log(
            signal=page_failed,
            url=url,
            stage="fetch",
            reason="rate_limited",
            detail=f"{why}; no requests to this source until {self.until.isoformat()}",
        )


def rate_limited(stats: dict[str, Any]) -> bool:
    """Whether a run's stats say the source was postponed (the run then ends ``failed``
    with finish_reason ``rate_limited``)."""
    return isinstance(stats.get(STATS_KEY), str)
