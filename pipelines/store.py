"""Write articles to the database in small batches, one transaction per batch."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from sqlalchemy.exc import SQLAlchemyError

from kn_crawl.db.engine import get_engine
from kn_crawl.db.store import ArticleStore, StoreCounts
from kn_crawl.items import ArticleItem, UrlAlias
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)

# Flush at least this often, so a killed crawl loses at most a few seconds of work
# (lost items are simply fetched again by the next run).
MAX_BUFFER_AGE_S = 2.0


class StorePipeline:
    def __init__(
        self, crawler: Crawler, stats: StatsCollector, database_url: str, batch_size: int
    ) -> None:
        self.crawler = crawler
        self.stats = stats
        self.database_url = database_url
        self.batch_size = batch_size
        self.buffer: list[ArticleItem] = []
        self.aliases: list[UrlAlias] = []
        self.buffer_since = 0.0
        self.store: ArticleStore | None = None
        self.source = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        # The database URL may hold a password: it comes from the environment, never from
        # Scrapy settings.
        return cls(
            crawler,
            crawler.stats,
            Settings.from_env().database_url,
            crawler.settings.getint("KN_STORE_BATCH_SIZE", 50),
        )

    def open_spider(self) -> None:
        self.store = ArticleStore(get_engine(self.database_url))
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

    def close_spider(self) -> None:
        self.flush()
        if self.aliases and self.store is not None:
            source_id = self.stats.get_value("kn/source_id")
            if source_id is not None:
                try:
                    self.store.save_aliases(
                        int(source_id), [(a.url, a.target) for a in self.aliases]
                    )
                except SQLAlchemyError as exc:  # aliases are relearned next run
                    logger.error("could not store %d URL aliases: %s", len(self.aliases), exc)

    def flush(self) -> None:
        if not self.buffer or self.store is None:
            return
        batch, self.buffer = self.buffer, []
        source_id = self.stats.get_value("kn/source_id")
        if source_id is None:
            raise RuntimeError("no source id: is the RunRecorder extension enabled?")
        try:
            counts = self.store.save(
                int(source_id),
                self.source,
                batch,
                now=datetime.now(UTC),
                run_id=self.stats.get_value("kn/run_id"),
            )
        except SQLAlchemyError as exc:
            # The batch's transaction was rolled back: nothing half-written. The articles
            # are fetched again by the next run; this run is marked failed.
            self.stats.inc_value("kn/store_failed", len(batch))
            logger.error(
                "could not store %d articles (%s): %s",
                len(batch),
                type(exc).__name__,
                ", ".join(item.url for item in batch),
            )
            return
        self._count(counts)

    def _count(self, counts: StoreCounts) -> None:
        self.stats.inc_value("kn/articles_new", counts.new)
        self.stats.inc_value("kn/articles_updated", counts.updated)
        self.stats.inc_value("kn/articles_unchanged", counts.unchanged)
        self.stats.inc_value("kn/articles_duplicate", counts.duplicates)
