"""Run crawls in this process with Scrapy's CrawlerProcess.

The Twisted reactor cannot be restarted, so one process runs one crawl session (one or more
sources side by side). The scheduler runs each crawl in a child process for that reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from kn_crawl.crawling.scrapy_config import scrapy_settings
from kn_crawl.db.engine import get_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.settings import Settings
from kn_crawl.sources import spider_for


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    source: str
    run_id: int | None
    finish_reason: str | None


def run_crawl(
    sources: Sequence[str],
    settings: Settings,
    *,
    base_urls: Mapping[str, str] | None = None,
    extra_settings: Mapping[str, Any] | None = None,
    full: bool = False,
) -> list[CrawlOutcome]:
    """Crawl ``sources`` now and block until all are done. Migrates the database first."""
    classes = {name: spider_for(name) for name in sources}
    upgrade(get_engine(settings.database_url))
    values = scrapy_settings(settings)
    values.update(extra_settings or {})
    process = CrawlerProcess(ScrapySettings(values))
    crawlers: list[tuple[str, Crawler]] = []
    for name, cls in classes.items():
        crawler = process.create_crawler(cls)
        url = (base_urls or {}).get(name)
        process.crawl(crawler, **({"base_url": url} if url else {}), full=full)
        crawlers.append((name, crawler))
    process.start()
    outcomes = []
    for name, crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        outcomes.append(
            CrawlOutcome(
                source=name,
                run_id=stats.get("kn/run_id"),
                finish_reason=stats.get("finish_reason"),
            )
        )
    return outcomes
