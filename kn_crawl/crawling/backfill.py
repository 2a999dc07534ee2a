"""Complete archives: which pages a run queued but did not read, kept for the next run.

A Scrapy extension. Every feed, listing and article request the spider schedules is pending
until its response arrives (or it fails for good: a 404, a robots.txt refusal, a duplicate);
a transient failure (5xx, 429, a timeout) leaves it pending. When the spider closes, what is
still pending is the source's cursor (``backfill_state``), and the next run requests those
pages first — a backfill's listing pages in backfill mode, paging on through known articles to
the end of the archive. A first crawl is complete when it closes with no listing page of a
backfill pending (and every start request was issued); it then stays complete.

Listing pages shift as articles are published (page 5's teasers move to page 6): resuming at
the same page number re-reads some teasers (known ones are skipped), it never skips any.

A page fetched but lost on our side (``store_failed``, ``page_worker``) is pending again.

A process killed with SIGKILL writes nothing: the state keeps the cursor of the run before it
(a superset of what is left), or, for a first crawl, stays incomplete without a cursor, and
the next run walks the backfill again from the first pages (fetching only unknown articles).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from kn_crawl.cluster.fence import RunFenced, fence
from kn_crawl.cluster.lease import lose_lease
from kn_crawl.crawling.known import LOST_HERE_REASONS, TRANSIENT_REASONS_PREFIXES
from kn_crawl.crawling.origin import OriginPolicy
from kn_crawl.crawling.run import run_of
from kn_crawl.crawling.signals import page_failed, page_settled
from kn_crawl.db.backfill import MAX_PENDING, ArchiveState, PendingPage, load_state, save_state
from kn_crawl.db.engine import get_engine
from kn_crawl.db.errors import db_error_line
from kn_crawl.db.models import Article
from kn_crawl.db.reconnect import REACTOR_BUDGET_S, retrying
from kn_crawl.settings import Settings

logger = logging.getLogger(__name__)

ARTICLE_CALLBACKS = frozenset({"parse_article", "resolve_legacy"})
# Answers worth asking again next run; anything else settles the page for good.
TRANSIENT_STATUSES = frozenset({408, 429})
# A page the source's rest (Retry-After) kept from being read stays pending too; it is no retry
# URL of its own (its record names the page that asked for the rest, or the base URL).
TRANSIENT_REASONS = (*TRANSIENT_REASONS_PREFIXES, "rate_limited")


def is_transient(reason: str) -> bool:
    return reason.startswith(TRANSIENT_REASONS)


def pending_page(request: Request, *, backfill: bool) -> PendingPage | None:
    """What a scheduled request is, for the cursor; None for requests it does not keep."""
    callback = getattr(request.callback, "__name__", None)
    meta = request.meta
    backfill = backfill or bool(meta.get("kn_backfill"))
    if "kn_page" in meta:
        kind = "feed" if callback == "parse_feed" else "listing"
        return PendingPage(request.url, kind, int(meta["kn_page"]), backfill)
    if callback in ARTICLE_CALLBACKS:
        return PendingPage(request.url, "article", 1, backfill)
    return None


class Cursor:
    """The pages of one run not read yet, by URL."""

    def __init__(self, seed: Iterable[PendingPage] = ()) -> None:
        self.pending: dict[str, PendingPage] = {p.url: p for p in seed}
        self.settled_pages: dict[str, PendingPage] = {}
        # Requests scheduled per URL and not dropped: a duplicate Scrapy drops while the
        # first request of its URL is still on its way settles nothing.
        self.scheduled_count: Counter[str] = Counter()

    def scheduled(self, page: PendingPage, redirected_from: Iterable[str] = ()) -> None:
        self.scheduled_count[page.url] += 1
        if any(url in self.pending for url in redirected_from):
            return  # a redirect of a pending page: that page stands for it
        known = self.pending.get(page.url)
        if known is None or (page.backfill and not known.backfill):
            self.pending[page.url] = page

    def dropped(self, urls: Iterable[str]) -> None:
        """A request Scrapy dropped: a duplicate (another request of the URL decides), or one
        refused when it was scheduled (the origin policy), which settles the page."""
        for url in urls:
            self.scheduled_count[url] -= 1
            if self.scheduled_count[url] <= 0:
                self.settled([url])

    def settled(self, urls: Iterable[str]) -> None:
        for url in urls:
            # Decided: a later duplicate of the URL, dropped by Scrapy, settles it again.
            self.scheduled_count.pop(url, None)
            page = self.pending.pop(url, None)
            if page is not None and page.is_listing:
                # Remembered in case it is lost after all (articles are the default).
                self.settled_pages[url] = page

    def lost(self, url: str, *, backfill: bool) -> None:
        """A page fetched but lost on our side (the database refused its batch, the page
        worker died with it): pending again."""
        page = self.settled_pages.pop(url, None) or PendingPage(url, "article", 1, backfill)
        self.pending.setdefault(url, page)

    def pages(self) -> list[PendingPage]:
        return list(self.pending.values())

    def backfill_listings(self) -> int:
        return sum(1 for p in self.pending.values() if p.is_listing and p.backfill)


def _urls(request: Request) -> list[str]:
    return [request.url, *request.meta.get("redirect_urls", ())]


def _now() -> datetime:
    return datetime.now(UTC)


class BackfillRecorder:
    def __init__(self, crawler: Crawler, engine: Engine) -> None:
        self.crawler = crawler
        self.engine = engine
        self.cursor = Cursor()
        self.previous: ArchiveState | None = None
        self.source_id: int | None = None
        self.read_a_listing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("KN_RECORD_RUNS", True):
            raise NotConfigured
        ext = cls(crawler, get_engine(Settings.from_env().database_url))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.page_failed, signal=page_failed)
        crawler.signals.connect(ext.page_settled, signal=page_settled)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        try:
            self._open(spider)
        except RunFenced as exc:
            self.source_id = None
            lose_lease(self.crawler, str(exc))
        except SQLAlchemyError as exc:
            # The run recorder stops such a crawl before its first request; without the state
            # this run records no cursor (the previous one stands).
            self.source_id = None
            logger.error("archive state of %s not read: %s", spider.name, db_error_line(exc))

    def _open(self, spider: Spider) -> None:
        run = run_of(self.crawler)  # opened by the run recorder, which runs first
        if run is None:
            return  # the run could not be recorded: the crawl stops before its first request
        self.source_id = run.source_id
        with self.engine.begin() as conn:
            fence(conn, run.run_id)
            self.previous = load_state(conn, self.source_id)
            if self.previous is None:
                any_article = select(Article.id).where(Article.source_id == self.source_id)
                has_articles = conn.execute(any_article.limit(1)).first() is not None
                # Sources crawled before backfill state existed count as complete; a first
                # crawl is recorded as incomplete before it fetches anything, so that a
                # process killed part-way leaves that said.
                self.previous = ArchiveState(complete=has_articles)
                save_state(
                    conn,
                    self.source_id,
                    complete=has_articles,
                    pending=(),
                    run_id=None,
                    now=_now(),
                )
        if not getattr(spider, "full", False):
            # Until the spider has requested them again, the old cursor's pages are pending.
            self.cursor = Cursor(self.previous.pending)

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        page = pending_page(request, backfill=bool(getattr(spider, "backfill", False)))
        if page is not None:
            self.cursor.scheduled(page, request.meta.get("redirect_urls", ()))

    def request_dropped(self, request: Request, spider: Spider) -> None:
        self.cursor.dropped(_urls(request))

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        if response.status >= 500 or response.status in TRANSIENT_STATUSES:
            return
        self.cursor.settled(_urls(request))
        if "kn_page" in request.meta and response.status in (200, 304):
            self.read_a_listing = True

    def page_failed(self, url: str, stage: str, reason: str, detail: str | None = None) -> None:
        if reason in LOST_HERE_REASONS:
            spider = self.crawler.spider
            self.cursor.lost(url, backfill=bool(getattr(spider, "backfill", False)))
        elif not is_transient(reason):
            self.cursor.settled([url])

    def page_settled(self, url: str) -> None:
        self.cursor.settled([url])

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.source_id is None or self.previous is None:
            return
        run = run_of(self.crawler)
        run_id = run.run_id if run is not None else None
        policy: OriginPolicy | None = getattr(spider, "origin_policy", None)
        # Pages of another origin (the base URL changed) can never be fetched by this source
        # again; the spider walks the backfill they belonged to again instead.
        own = [p for p in self.cursor.pages() if policy is None or policy.allows(p.url)]
        # Every start request issued, and no listing page of a backfill left unread. A site
        # that answered no listing page at all (down, robots.txt unreachable) was not walked.
        walked = (
            self.read_a_listing
            and bool(getattr(spider, "starts_issued", False))
            and not any(p.is_listing and p.backfill for p in own)
        )
        pending = own
        if getattr(spider, "full", False) and not walked:
            # A full crawl does not request the old cursor (it walks every chain from its
            # start); until it has walked them all, the old cursor still stands.
            pending += [p for p in self.previous.pending if p.url not in self.cursor.pending]
        if len(pending) > MAX_PENDING:
            # Too much left to list (a full disk through a large first crawl): no cursor, and
            # the next run walks the listings from the start again (unknown articles only).
            logger.warning("%s: %d pages left unread, more than a cursor holds", spider.name,
                           len(pending))  # fmt: skip
            pending, walked = [], False
        complete = self.previous.complete or walked
        source_id = self.source_id

        def write() -> None:
            with self.engine.begin() as conn:
                fence(conn, run_id)
                save_state(
                    conn, source_id, complete=complete, pending=pending, run_id=run_id, now=_now()
                )

        try:
            retrying(self.engine, write, what="archive state", budget_s=REACTOR_BUDGET_S)
        except RunFenced as exc:
            # Another process owns the source now: the state it keeps stands.
            lose_lease(self.crawler, str(exc))
            return
        except SQLAlchemyError as exc:
            # The previous state stands: a superset of what is left (as after a SIGKILL).
            logger.error("archive state of %s not saved: %s", spider.name, db_error_line(exc))
            return
        listings = sum(1 for p in pending if p.is_listing)
        if not complete or listings:
            logger.warning(
                "archive of %s incomplete: %d listing pages and %d articles left for the next run",
                spider.name,
                listings,
                len(pending) - listings,
            )
        elif not self.previous.complete:
            logger.info("archive of %s complete", spider.name)
