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
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from kn_crawl.batch.due import next_due, set_next_due
from kn_crawl.batch.plan import host_of
from kn_crawl.catalog.model import SourceEntry
from kn_crawl.cluster.fence import RunFenced, fence
from kn_crawl.cluster.hosts import hosts_lost
from kn_crawl.cluster.lease import Lease, attach_lease, lose_lease
from kn_crawl.crawling.origin import REFUSAL_REASONS
from kn_crawl.crawling.run import (
    CrawlRun,
    attach,
    final_status,
    mostly_failed,
    pages_attempted,
    pages_lost,
)
from kn_crawl.crawling.signals import page_failed
from kn_crawl.db.engine import get_engine
from kn_crawl.db.errors import NOT_WRITABLE, db_error_line
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import Source
from kn_crawl.db.reconnect import REACTOR_BUDGET_S, retrying
from kn_crawl.db.runs import (
    HEARTBEAT_EVERY,
    Drop,
    beat,
    finish_run,
    record_drops,
    stale_after_for,
    start_run,
)
from kn_crawl.db.store import ensure_source
from kn_crawl.settings import ConfigError, Settings

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

# Used by tests and health's figures; the rule itself is kn_crawl.crawling.run.final_status.
__all__ = ["RunRecorder", "mostly_failed", "pages_attempted"]


def _now() -> datetime:
    return datetime.now(UTC)


# The setting naming the batch a crawler belongs to (kn_crawl.batch.process): not a secret.
BATCH_SETTING = "KN_BATCH"


def _schedule_defaults() -> tuple[float, float]:
    """The default interval and jitter, for a source whose schedule is not in ``sources``."""
    from kn_crawl.scheduler.config import load_schedule

    try:
        config = load_schedule({}, check_sources=False)
    except ConfigError as exc:
        # The commands that start crawls check the schedule first; a crawl started another
        # way still closes its run with a next due time.
        logger.warning("schedule defaults not read (%s): 45 minutes, no jitter", exc)
        return 45 * 60.0, 0.0
    return config.interval, config.jitter


class RunRecorder:
    def __init__(self, crawler: Crawler, engine: Engine, settings: Settings) -> None:
        self.crawler = crawler
        self.engine = engine
        self.node = settings.node or None
        self.batch: str | None = crawler.settings.get(BATCH_SETTING) or None
        self.interval, self.jitter = _schedule_defaults()
        self.run_id: int | None = None
        self.source_id: int | None = None
        self.pending: list[Drop] = []
        self.heartbeat: LoopingCall | None = None
        # The crawl's lease (kn_crawl.cluster.lease): renewed by each heartbeat that reaches
        # the database; the fenced download handler refuses requests once it ran out.
        self.lease = Lease(stale_after_for(engine, settings.lease).total_seconds())
        attach_lease(crawler, self.lease)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("KN_RECORD_RUNS", True):
            raise NotConfigured
        settings = Settings.from_env()
        engine = get_engine(settings.database_url)
        if not crawler.settings.get(BATCH_SETTING):
            # Not started by kn-crawl (``scrapy crawl`` from the repository root, a script's
            # own CrawlerProcess): a crawl by hand, which upgrades at start as ``kn-crawl
            # crawl`` does. kn-crawl's runner and batches name their batch, checked the schema
            # before crawling and never migrate here.
            upgrade(engine)
        ext = cls(crawler, engine, settings)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.page_failed, signal=page_failed)
        return ext

    # -- signals -----------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        # The run is closed after every other extension and middleware has written what it
        # keeps of the run (archive state, validators): their writes are fenced on the run
        # still being ``running``. Connected now, after all of them connected theirs.
        self.crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        try:
            self._start(spider)
        except SQLAlchemyError as exc:
            # A crawl that cannot record its run cannot store its articles either (a full
            # disk, a database turned read-only): stop before the first request.
            logger.error("cannot write to the database: %s", db_error_line(exc))
            raise CloseSpider(NOT_WRITABLE) from None

    def _start(self, spider: Spider) -> None:
        entry: SourceEntry | None = getattr(spider, "source", None)
        with self.engine.begin() as conn:
            self.source_id = ensure_source(
                conn,
                name=spider.name,
                family=entry.family if entry else spider.name,
                title=entry.title if entry else spider.name,
                base_url=getattr(spider, "base_url", ""),
            )
            self.run_id = start_run(
                conn,
                source_id=self.source_id,
                base_url=getattr(spider, "base_url", ""),
                now=_now(),
                pid=os.getpid(),
                host=self.node,
                batch=self.batch,
                lease=self.lease.seconds,
            )
        self.lease.renewed()
        # A run whose heartbeat stops is closed as stale by the next command that opens the
        # database (kn_crawl.db.runs.close_stale_runs), on whichever host it runs.
        self.heartbeat = LoopingCall(self._beat)
        every = min(HEARTBEAT_EVERY.total_seconds(), self.lease.beat_every)
        self.heartbeat.start(every, now=False).addErrback(
            lambda failure: logger.error("heartbeat stopped: %s", failure.getErrorMessage())
        )
        # The run's context: how the rest of the crawl process finds its run.
        attach(self.crawler, CrawlRun(entry, spider.name, self.run_id, self.source_id, self.engine))
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

    def spider_error(self, failure: Failure, response: Response | None, spider: Spider) -> None:
        # A callback crashed on this page: the page is lost for this run, so it is recorded.
        # No response: the spider's start requests failed (Scrapy sends None then).
        exc = failure.value
        self._add(
            Drop(
                url=response.url if response is not None else "",
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
        pages = int(values.get("response_received_count", 0))
        errors = pages_lost(values)
        stats.set_value("kn/pages_attempted", pages_attempted(values))
        stats.set_value("kn/pages_lost", errors)
        values = stats.get_stats()
        status, finish_reason = final_status(reason, values)
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
        now = _now()
        try:
            closed = retrying(
                self.engine,
                lambda: self._close(status, finish_reason, counts, plain, now),
                what=f"closing run {self.run_id}",
                budget_s=REACTOR_BUDGET_S,
            )
        except SQLAlchemyError as exc:
            # The database stayed away longer than the retries: the run stays ``running``
            # until its lease runs out, then the reaper (or the batch's parent) ends it.
            logger.error(
                "crawl run %s of %s: its end (%s) is not recorded, the database is unreachable: %s",
                self.run_id,
                spider.name,
                finish_reason,
                db_error_line(exc),
            )
            return
        if not closed:
            logger.error(
                "crawl run %s of %s was closed by another process (its lease ran out); "
                "its end (%s) is not recorded",
                self.run_id,
                spider.name,
                finish_reason,
            )
            return
        logger.info(
            "crawl run %s of %s ended: %s (%s)", self.run_id, spider.name, status, finish_reason
        )

    # -- helpers -----------------------------------------------------------------------

    def _close(
        self,
        status: str,
        finish_reason: str,
        counts: dict[str, int],
        stats: dict[str, Any],
        now: datetime,
    ) -> bool:
        """The run's close and its source's next due time, in one transaction; False when
        another process closed the run first (its lease ran out)."""
        assert self.run_id is not None
        with self.engine.begin() as conn:
            closed = finish_run(
                conn,
                self.run_id,
                status=status,
                finish_reason=finish_reason,
                counts=counts,
                stats=stats,
                now=now,
            )
            # In the same transaction: a run that ended always leaves its source a next time.
            if closed and self.source_id is not None:
                schedule = conn.execute(
                    select(Source.schedule).where(Source.id == self.source_id)
                ).scalar_one_or_none()
                try:
                    when = next_due(
                        schedule, default_interval=self.interval, jitter=self.jitter, after=now
                    )
                except ConfigError:
                    # Written by an older kn-crawl, unreadable now: the default interval.
                    when = next_due(
                        None, default_interval=self.interval, jitter=self.jitter, after=now
                    )
                set_next_due(conn, self.source_id, when)
        return closed

    def _beat(self) -> None:
        if self.run_id is None:
            return
        try:
            with self.engine.begin() as conn:
                alive = beat(conn, self.run_id, now=_now())
        except SQLAlchemyError as exc:
            # A missed beat is no reason to stop the crawl; the next one may succeed (the
            # lease stops the crawl if none does for half of it).
            logger.warning("heartbeat of run %s not written: %s", self.run_id, db_error_line(exc))
            return
        if not alive:
            lose_lease(self.crawler, f"crawl run {self.run_id} was failed by another process")
            return
        self.lease.renewed()
        # The batch's host locks live in a session of their own: one ended (a database
        # restart) is renewed; a host another process took meanwhile is no longer ours.
        spider = self.crawler.spider
        host = host_of(getattr(spider, "base_url", "") or "")
        if host and host in hosts_lost():
            lose_lease(self.crawler, f"the lock of host {host} went to another process")

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

        def write() -> None:
            with self.engine.begin() as conn:
                fence(conn, self.run_id)
                record_drops(conn, drops, run_id=self.run_id, source_id=self.source_id, now=_now())

        try:
            retrying(self.engine, write, what="drops", budget_s=REACTOR_BUDGET_S)
        except RunFenced as exc:
            lose_lease(self.crawler, str(exc))
        except SQLAlchemyError as exc:
            # Kept for the next flush (the run's end tries once more); one line, no traceback.
            self.pending[:0] = drops
            logger.error(
                "crawl run %s: %d dropped pages not recorded yet, the database is unreachable: %s",
                self.run_id,
                len(self.pending),
                db_error_line(exc),
            )
