"""A trial crawl (``kn-crawl sources test``): a few articles of one source, read the way the
crawl reads them, and nothing written anywhere.

The source's spider runs as in a crawl — robots.txt, the origin policy, the page worker,
normalisation and validation — but without the store, the run recorder, the backfill cursor,
the conditional-request validators and the Retry-After postponement (each of which reads or
writes the database), and as a ``full`` crawl (which loads no known state). What came out is
collected by :class:`TrialCollector` from Scrapy's signals; the spider is closed once
``limit`` articles have passed validation.

The crawl runs in a child process: a Twisted reactor runs once per process, and a command
may be called more than once in one (the tests do).
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Request, Response
from scrapy.settings import Settings as ScrapySettings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from kn_crawl.crawling.recorder import NOTE_REASONS
from kn_crawl.crawling.scrapy_config import scrapy_settings
from kn_crawl.crawling.signals import page_failed
from kn_crawl.items import ArticleItem
from kn_crawl.settings import ConfigError, Settings

# The fields an analyst checks before enabling a source, with the item attribute of each.
FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "title"),
    ("date", "published_at"),
    ("kicker", "kicker"),
    ("teaser", "teaser"),
    ("body", "body"),
    ("tags", "source_tags"),  # what the source gives: the vocabulary adds to any article
    ("author", "author"),
    ("image", "image_url"),
)


@dataclass(slots=True)
class TrialResult:
    """What a trial crawl of one source gave."""

    source: str
    base_url: str
    limit: int
    articles: list[ArticleItem] = field(default_factory=list)
    drops: dict[str, int] = field(default_factory=dict)
    """Refused pages and items by reason (notes, where nothing was lost, left out)."""
    detail: str | None = None
    """What a drop said, of the reason most likely the cause (``robots.txt unreachable
    (connection_refused); …``), for the one line of a trial that read nothing."""
    finish_reason: str | None = None
    error: str | None = None
    """A one-line reason the crawl could not run at all (a bad base URL, …)."""

    def filled(self) -> list[tuple[str, int]]:
        """(field, how many articles have it) in :data:`FIELDS` order."""
        return [
            (label, sum(1 for item in self.articles if getattr(item, attr)))
            for label, attr in FIELDS
        ]


class TrialCollector:
    """Scrapy extension of a trial crawl: keeps the first ``KN_TRIAL_LIMIT`` articles that
    passed the pipelines, counts what was dropped, and closes the spider at the limit."""

    def __init__(self, crawler: Crawler, limit: int) -> None:
        self.crawler = crawler
        self.limit = limit
        self.articles: list[ArticleItem] = []
        self.drops: Counter[str] = Counter()
        self.details: dict[str, str] = {}
        """The first detail of each reason."""
        self.closing = False
        self._close: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler, crawler.settings.getint("KN_TRIAL_LIMIT", 5))
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.page_failed, signal=page_failed)
        return ext

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if self.closing or not isinstance(item, ArticleItem):
            return  # what came after the limit, and aliases learned on the way
        self.articles.append(item)
        if len(self.articles) >= self.limit:
            self.closing = True
            assert self.crawler.engine is not None
            # Kept, so the Deferred is not collected before it ran.
            self._close = deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="closespider_itemcount")
            )

    def item_dropped(self, item: Any, response: Response | None, exception: Exception) -> None:
        if getattr(exception, "recorded", True) is not False:
            self._drop(getattr(exception, "reason", "dropped"), str(exception))

    def page_failed(
        self, url: str, stage: str, reason: str, detail: str | None = None, note: bool = False
    ) -> None:
        if not note and reason not in NOTE_REASONS:
            self._drop(reason, detail)

    def spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        self._drop("exception", f"{type(failure.value).__name__}: {failure.value}")

    def _drop(self, reason: str, detail: str | None) -> None:
        if self.closing:
            return
        self.drops[reason] += 1
        if detail:
            self.details.setdefault(reason, detail)


ARTICLES_FIRST = 100
"""Added to the priority of every request that is not a listing page."""


class ArticlesFirst(BaseSpiderMiddleware):
    """A crawl's first run is a backfill: it reads every listing page (hundreds on a large
    archive) before the articles they list. A trial wants a few articles, the newest: so
    every request that is not a listing page (listing requests carry ``kn_page``, as
    ``kn_crawl.crawling.backfill`` reads them) goes before the listings."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request:
        if "kn_page" not in request.meta:
            request.priority += ARTICLES_FIRST
        return request


def max_pages(limit: int) -> int:
    """Pages a trial of ``limit`` articles fetches at most (listings, feeds, robots.txt and
    articles that were refused included)."""
    return 20 + 10 * limit


def trial_settings(settings: Settings, limit: int) -> dict[str, Any]:
    """The crawl's Scrapy settings, less everything that touches the database."""
    values = scrapy_settings(settings)
    values.update(
        {
            "ITEM_PIPELINES": {
                "pipelines.normalize.NormalizePipeline": 100,
                "pipelines.validate.ValidatePipeline": 200,
                "pipelines.vocabulary.VocabularyPipeline": 250,
                "pipelines.dedupe.DedupePipeline": 300,
            },
            "EXTENSIONS": {
                "kn_crawl.crawling.recorder.RunRecorder": None,
                "kn_crawl.crawling.backfill.BackfillRecorder": None,
                "kn_crawl.crawling.trial.TrialCollector": 100,
            },
            # Read by the recorders and the Retry-After middleware: no run, no database.
            "KN_RECORD_RUNS": False,
            "KN_CONDITIONAL_REQUESTS": False,
            "KN_TRIAL_LIMIT": limit,
            "SPIDER_MIDDLEWARES": {"kn_crawl.crawling.trial.ArticlesFirst": 50},
            # A site whose every article is refused would otherwise be walked to the end
            # of its archive before the trial could say so.
            "CLOSESPIDER_PAGECOUNT": max_pages(limit),
            # One page at a time, each read to the end before the next is fetched, and
            # requests of equal priority in the order the pages name them (newest first):
            # a few articles, fetched politely, the same ones on every trial of a site.
            "CONCURRENT_REQUESTS": 1,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
            "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 0,
            "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
            # What went wrong is in the drops the command prints; the log only on request.
            "LOG_LEVEL": settings.log_level if settings.log_level == "DEBUG" else "CRITICAL",
        }
    )
    return values


def trial_here(name: str, settings: Settings, limit: int, base_url: str | None) -> TrialResult:
    """Run the trial in this process (once per process: the reactor cannot restart)."""
    from kn_crawl.sources import spider_for

    cls = spider_for(name)
    process = CrawlerProcess(ScrapySettings(trial_settings(settings, limit)))
    crawler = process.create_crawler(cls)
    process.crawl(crawler, **({"base_url": base_url} if base_url else {}), full=True)
    process.start()
    result = TrialResult(source=name, base_url=_base_url_of(crawler, base_url), limit=limit)
    collector = _collector_of(crawler)
    if collector is not None:
        result.articles = collector.articles[:limit]
        # Most frequent first, then by name: the same site prints the same line.
        result.drops = dict(sorted(collector.drops.items(), key=lambda kv: (-kv[1], kv[0])))
        result.detail = _telling_detail(result.drops, collector.details)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    result.finish_reason = stats.get("finish_reason")
    return result


def _telling_detail(drops: dict[str, int], details: dict[str, str]) -> str | None:
    """The detail of the first reason in ``drops`` that is not a consequence: every page of
    a site whose robots.txt is unreachable is ``robots_disallowed``, the cause is the other
    reason."""
    reasons = [r for r in drops if r != "robots_disallowed"] + ["robots_disallowed"]
    return next((details[r] for r in reasons if r in details), None)


def _collector_of(crawler: Crawler) -> TrialCollector | None:
    manager = crawler.extensions
    if manager is None:
        return None
    return next((m for m in manager.middlewares if isinstance(m, TrialCollector)), None)


def _base_url_of(crawler: Crawler, given: str | None) -> str:
    spider = crawler.spider
    return str(getattr(spider, "base_url", None) or given or "")


def _child(
    name: str, settings: Settings, limit: int, base_url: str | None, results: Connection
) -> None:
    try:
        result = trial_here(name, settings, limit, base_url)
    except ConfigError as exc:
        result = TrialResult(source=name, base_url=base_url or "", limit=limit, error=str(exc))
    results.send(result)
    results.close()


def run_trial(
    name: str, settings: Settings, *, limit: int = 5, base_url: str | None = None
) -> TrialResult:
    """A trial crawl of source ``name`` (at ``base_url`` instead of its own, if given), in a
    child process; blocks until it is done."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(name, settings, limit, base_url, sender), name=f"kn-crawl test {name}"
    )
    child.start()
    sender.close()
    result: TrialResult | None = None
    try:
        if receiver.poll(None):
            received = receiver.recv()
            if isinstance(received, TrialResult):
                result = received
    except (EOFError, OSError):
        pass
    finally:
        receiver.close()
        child.join()
    if result is None:
        return TrialResult(
            source=name,
            base_url=base_url or "",
            limit=limit,
            error=f"the trial crawl ended without a result (exit code {child.exitcode})",
        )
    return result
