"""Write articles to the database in small batches, one transaction per batch.

Batches are written by the page worker (a process beside the crawl; see
``kn_crawl.crawling.worker``), one at a time and in order, while the crawl goes on; the spider
closes only after every batch has been answered. The worker kept the articles it read: a batch
sends their keys, not the articles again (``kn_crawl.crawling.kept``), and the keys of the
articles the pipelines dropped, for the worker to forget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from kn_crawl.cluster.lease import lose_lease
from kn_crawl.crawling.kept import reference, save_batch
from kn_crawl.crawling.run import run_of
from kn_crawl.crawling.signals import page_failed
from kn_crawl.crawling.worker import PageWorkerError, page_worker
from kn_crawl.db.store import StoreCounts, StoreFailure, save_alias_batch
from kn_crawl.items import ArticleItem, UrlAlias

logger = logging.getLogger(__name__)

# Flush at least this often, so a killed crawl loses at most a few seconds of work
# (lost items are simply fetched again by the next run).
MAX_BUFFER_AGE_S = 2.0


class StorePipeline:
    def __init__(self, crawler: Crawler, stats: StatsCollector, batch_size: int) -> None:
        self.crawler = crawler
        self.stats = stats
        self.batch_size = batch_size
        self.buffer: list[ArticleItem] = []
        self.aliases: list[UrlAlias] = []
        self.buffer_since = 0.0
        self.writes: set[asyncio.Future[None]] = set()
        self.source = ""
        self.forget: list[tuple[int, int]] = []
        """Keys of kept articles that were dropped on the way (validation, duplicates)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        # The database URL may hold a password: the task reads it from the environment; it
        # is never in Scrapy settings.
        pipeline = cls(crawler, crawler.stats, crawler.settings.getint("KN_STORE_BATCH_SIZE", 50))
        crawler.signals.connect(pipeline.item_not_stored, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.item_not_stored, signal=signals.item_error)
        return pipeline

    def item_not_stored(self, item: Any) -> None:
        if isinstance(item, ArticleItem) and item.kept is not None:
            self.forget.append(item.kept)

    def open_spider(self) -> None:
        assert self.crawler.spider is not None
        self.source = self.crawler.spider.name

    def process_item(self, item: Any) -> Any:
        if isinstance(item, UrlAlias):
            self.aliases.append(item)
            return item
        if not isinstance(item, ArticleItem):
            return item
        if not self.buffer:
            self.buffer_since = time.monotonic()
        self.buffer.append(item)
        if (
            len(self.buffer) >= self.batch_size
            or time.monotonic() - self.buffer_since > MAX_BUFFER_AGE_S
        ):
            self.flush()
        return item

    async def close_spider(self) -> None:
        self.flush()
        if self.forget:
            await self._write([])  # the worker forgets what was dropped since the last batch
        while self.writes:
            await asyncio.gather(*self.writes)
        if self.aliases:
            await self._save_aliases()

    def flush(self) -> None:
        """Send the buffered articles off to be written as one batch."""
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        write = asyncio.ensure_future(self._write(batch))
        self.writes.add(write)
        write.add_done_callback(self.writes.discard)

    async def _write(self, batch: list[ArticleItem]) -> None:
        run = run_of(self.crawler)
        if run is None:
            raise RuntimeError("no crawl run: is the RunRecorder extension enabled?")
        worker = page_worker()
        pid = worker.pid
        forget = [number for kept_by, number in self.forget if kept_by == pid]
        self.forget = []  # any others were kept by a worker that is gone
        sent = [reference(item, pid) for item in batch]
        try:
            result = await worker.call(
                save_batch, run.source_id, self.source, sent, datetime.now(UTC), run.run_id, forget
            )
        except PageWorkerError as exc:
            result = StoreFailure(str(exc))
        if isinstance(result, StoreFailure) and result.lease_lost:
            # Another node failed this run and took its host: nothing of it may be written,
            # not even a record of what was not (the fence refuses the drops too).
            lose_lease(self.crawler, result.error)
            return
        if isinstance(result, StoreFailure):
            # Nothing of the batch was written (the page worker died with it, or the
            # database could not be reached): this run is marked failed.
            self.stats.inc_value("kn/store_failed", len(batch))
            logger.error(
                "could not store %d articles (%s): %s",
                len(batch),
                result.error,
                ", ".join(item.url for item in batch),
            )
            # Recorded page by page, so the next run fetches them again (deep archive
            # pages are not on the first listing pages a refresh reads).
            for item in batch:
                self._record(item.fetched_url, "store_failed", result.error)
            return
        for drop in result.drops:
            if drop.reason == "store_failed":
                # The database refused this item (the others of its batch are stored): the
                # run is marked failed and the page is fetched again next run.
                self.stats.inc_value("kn/store_failed")
            self._record(drop.url, drop.reason, drop.detail, note=drop.stored)
        self._count(result)

    def _record(self, url: str, reason: str, detail: str, *, note: bool = False) -> None:
        self.crawler.signals.send_catch_log(
            signal=page_failed,
            url=url,
            stage="store",
            reason=reason,
            detail=detail[:500],
            note=note,
        )

    async def _save_aliases(self) -> None:
        run = run_of(self.crawler)
        if run is None:
            return
        pairs = [(a.url, a.target) for a in self.aliases]
        try:
            result = await page_worker().call(save_alias_batch, run.source_id, pairs, run.run_id)
        except PageWorkerError as exc:
            result = StoreFailure(str(exc))
        if isinstance(result, StoreFailure) and result.lease_lost:
            lose_lease(self.crawler, result.error)
        elif isinstance(result, StoreFailure):  # aliases are relearned next run
            logger.error("could not store %d URL aliases: %s", len(pairs), result.error)

    def _count(self, counts: StoreCounts) -> None:
        self.stats.inc_value("kn/articles_new", counts.new)
        self.stats.inc_value("kn/articles_updated", counts.updated)
        self.stats.inc_value("kn/articles_unchanged", counts.unchanged)
        self.stats.inc_value("kn/articles_duplicate", counts.duplicates)
