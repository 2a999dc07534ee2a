"""Records each crawl in ``crawl_runs`` and everything that went wrong in ``dropped_items``.

A Scrapy extension, so it sees the whole run: it opens the run when the spider opens, hears
every dropped item, failed page and callback exception, and closes the run with Scrapy's
counters and a status when the spider closes.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.http import Response
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from kn_crawl.crawling.origin import REFUSAL_REASONS
from kn_crawl.crawling.ratelimit import rate_limited
from kn_crawl.crawling.signals import page_failed
from kn_crawl.db.engine import get_engine
from kn_crawl.db.errors import NOT_WRITABLE, db_error_line
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.runs import (
    HEARTBEAT_EVERY,
    Drop,
    beat,
    finish_run,
    record_drops,
    start_run,
    this_host,
)
from kn_crawl.db.store import ensure_source
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)

# Drops are written in small batches: few transactions, little held in memory.
DROP_FLUSH_SIZE = 50

# Recorded in ``dropped_items`` like a drop, but nothing was lost: the article was stored
# (a field cut to its cap, a page decoded despite its wrong charset label, a canonical URL on
# another origin ignored) or a cap of this
# run's work was reached (the rest of the site is read by later runs or is a trap). Notes are
# counted as ``kn/notes``, not in the run's ``dropped`` and ``errors``, so they never make a
# run or a source look unhealthy.
NOTE_REASONS = frozenset(
    {
        "field_truncated",
        "charset_mislabelled",
        "listing_depth_limit",
        "too_many_links",
        "offsite_canonical",
    }
)

# Dropped on purpose, not lost: never counted as the run's errors.
NOT_ERRORS = REFUSAL_REASONS | {"robots_disallowed"}

# A run that lost more than half of the pages it tried (and at least this many) failed, even
# though it finished: a site answering 503 to 9 of 10 requests is down, not "degraded".
MOSTLY_FAILED_MIN = 3

# Scrapy's finish reasons mapped to our run status.
STATUS_FOR_REASON = {
    "finished": "ok",
    "shutdown": "interrupted",
    "closespider_timeout": "timeout",
}


def _now() -> datetime:
    return datetime.now(UTC)


def pages_attempted(values: dict[str, Any]) -> int:
    """Pages the run tried to fetch: requests sent, less Scrapy's retries and robots.txt."""
    return max(
        int(values.get("downloader/request_count", 0))
        - int(values.get("retry/count", 0))
        - int(values.get("robotstxt/request_count", 0)),
        0,
    )


def mostly_failed(errors: int, attempted: int) -> bool:
    """More than half of the attempted pages were lost (at least ``MOSTLY_FAILED_MIN``)."""
    return errors >= MOSTLY_FAILED_MIN and 2 * errors > attempted


class RunRecorder:
    def __init__(self, crawler: Crawler, engine: Engine) -> None:
        self.crawler = crawler
        self.engine = engine
        self.run_id: int | None = None
        self.source_id: int | None = None
        self.pending: list[Drop] = []
        self.heartbeat: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("KN_RECORD_RUNS", True):
            raise NotConfigured
        engine = get_engine(Settings.from_env().database_url)
        # `scrapy crawl` from the repository root does not go through kn-crawl's runner:
        # bring the schema up to date here too (a no-op when it is).
        upgrade(engine)
        ext = cls(crawler, engine)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.page_failed, signal=page_failed)
        return ext

    # -- signals -----------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        try:
            self._start(spider)
        except SQLAlchemyError as exc:
            # A crawl that cannot record its run cannot store its articles either (a full
            # disk, a database turned read-only): stop before the first request.
            logger.error("cannot write to the database: %s", db_error_line(exc))
            raise CloseSpider(NOT_WRITABLE) from None

    def _start(self, spider: Spider) -> None:
        with self.engine.begin() as conn:
            self.source_id = ensure_source(
                conn,
                name=spider.name,
                family=getattr(spider, "family", spider.name),
                title=getattr(spider, "source_title", spider.name),
                base_url=getattr(spider, "base_url", ""),
            )
            self.run_id = start_run(
                conn,
                source_id=self.source_id,
                base_url=getattr(spider, "base_url", ""),
                now=_now(),
                pid=os.getpid(),
                host=this_host(),
            )
        # A run whose heartbeat stops is closed as stale by the next command that opens the
        # database (kn_crawl.db.runs.close_stale_runs), on whichever host it runs.
        self.heartbeat = LoopingCall(self._beat)
        self.heartbeat.start(HEARTBEAT_EVERY.total_seconds(), now=False).addErrback(
            lambda failure: logger.error("heartbeat stopped: %s", failure.getErrorMessage())
        )
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("kn/run_id", self.run_id)
        stats.set_value("kn/source_id", self.source_id)
        logger.info("crawl run %s of %s started", self.run_id, spider.name)

    def item_dropped(self, item: Any, response: Response | None, exception: Exception) -> None:
        if getattr(exception, "recorded", True) is False:
            return
        url = getattr(item, "url", None) or (response.url if response is not None else "")
        self._add(
            Drop(
                url=url,
                stage=getattr(exception, "stage", "validate"),
                reason=getattr(exception, "reason", "dropped"),
                detail=str(exception),
            )
        )

    def page_failed(
        self, url: str, stage: str, reason: str, detail: str | None = None, note: bool = False
    ) -> None:
        self._add(Drop(url=url, stage=stage, reason=reason, detail=detail), note=note)

    def spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        # A callback crashed on this page: the page is lost for this run, so it is recorded.
        exc = failure.value
        self._add(
            Drop(
                url=response.url,
                stage="parse",
                reason="exception",
                detail=f"{type(exc).__name__}: {exc}",
            )
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        self._flush()
        if self.run_id is None:
            return
        stats = self.crawler.stats
        assert stats is not None
        values = stats.get_stats()
        status = STATUS_FOR_REASON.get(reason, "failed")
        finish_reason = reason
        pages = int(values.get("response_received_count", 0))
        robots_pages = int(values.get("robotstxt/response_count", 0))
        errors = int(values.get("kn/errors", 0)) + int(values.get("kn/store_failed", 0))
        stats.set_value("kn/pages_attempted", pages_attempted(values))
        stats.set_value("kn/pages_lost", errors)
        values = stats.get_stats()
        if status == "ok" and rate_limited(values):
            # The site asked for a rest (Retry-After): the rest of the site was not read.
            status, finish_reason = "failed", "rate_limited"
        elif status == "ok" and mostly_failed(errors, pages_attempted(values)):
            status, finish_reason = "failed", "mostly_failed"
        elif status == "ok" and (
            values.get("kn/store_failed")
            or values.get("kn/robots_unreachable")
            or pages - robots_pages <= 0
        ):
            # Finished, but the site was unreachable or nothing could be stored: a failure.
            status = "failed"
        counts = {
            "pages": pages,
            "requests": int(values.get("downloader/request_count", 0)),
            "bytes": int(values.get("downloader/response_bytes", 0)),
            "not_modified": int(values.get("downloader/response_status_count/304", 0)),
            "articles_new": int(values.get("kn/articles_new", 0)),
            "articles_updated": int(values.get("kn/articles_updated", 0)),
            "articles_unchanged": int(values.get("kn/articles_unchanged", 0)),
            "dropped": int(values.get("kn/dropped", 0)),
            "errors": errors,
        }
        plain = {k: v for k, v in values.items() if isinstance(v, int | float | str)}
        with self.engine.begin() as conn:
            finish_run(
                conn,
                self.run_id,
                status=status,
                finish_reason=finish_reason,
                counts=counts,
                stats=plain,
                now=_now(),
            )
        logger.info(
            "crawl run %s of %s ended: %s (%s)", self.run_id, spider.name, status, finish_reason
        )

    # -- helpers -----------------------------------------------------------------------

    def _beat(self) -> None:
        if self.run_id is None:
            return
        try:
            with self.engine.begin() as conn:
                beat(conn, self.run_id, now=_now())
        except SQLAlchemyError as exc:
            # A missed beat is no reason to stop the crawl; the next one may succeed.
            logger.warning("heartbeat of run %s not written: %s", self.run_id, exc)

    def _add(self, drop: Drop, *, note: bool = False) -> None:
        stats = self.crawler.stats
        assert stats is not None
        if note or drop.reason in NOTE_REASONS:
            drop = replace(drop, note=True)
            stats.inc_value("kn/notes")
            stats.inc_value(f"kn/notes/{drop.reason}")
            logger.info("note: %s (%s: %s)", drop.url, drop.reason, drop.detail or "")
        else:
            stats.inc_value("kn/dropped")
            stats.inc_value(f"kn/dropped/{drop.reason}")
            if drop.stage in ("fetch", "parse") and drop.reason not in NOT_ERRORS:
                # Pages lost to the network, the server or our parser (not rejected items,
                # not pages robots.txt or the origin policy kept us from).
                stats.inc_value("kn/errors")
            logger.warning("not stored: %s (%s: %s)", drop.url, drop.reason, drop.detail or "")
        self.pending.append(drop)
        if len(self.pending) >= DROP_FLUSH_SIZE:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        drops, self.pending = self.pending, []
        with self.engine.begin() as conn:
            record_drops(conn, drops, run_id=self.run_id, source_id=self.source_id, now=_now())
