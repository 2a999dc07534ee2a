"""The generic news spider: the crawl policy every source shares.

Feeds first (cheap, conditional), then listings and their pages, then every article page
found; refresh decisions from what the database knows (``KnownState``), resumed and retried
pages, caps on listing depth, topic pages and links per page, origin checks, and a record of
every page refused. A site family (``spiders.family``) says only what is its own: how its
URLs are classified, its page objects, its start pages and old URL forms.

One spider class per source, made by ``kn_crawl.sources.spider_for`` for the source's
catalogue entry (``SourceEntry``); ``scrapy crawl NAME`` finds it through
``kn_crawl.crawling.spider_loader``.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from kn_crawl.catalog.model import SourceEntry
from kn_crawl.crawling import counters
from kn_crawl.crawling.failures import download_reason
from kn_crawl.crawling.known import KnownState, load_known, signature_changed
from kn_crawl.crawling.origin import OriginPolicy
from kn_crawl.crawling.origin_guard import OriginRefused, refusal_detail
from kn_crawl.crawling.ratelimit import SourcePostponed
from kn_crawl.crawling.reading import NotAnArticle, crawl_article, crawl_feed, crawl_listing
from kn_crawl.crawling.signals import page_failed, page_settled
from kn_crawl.crawling.worker import PageWorker, PageWorkerDied, page_worker
from kn_crawl.db.engine import get_engine
from kn_crawl.extract.feed_items import item_from_entry
from kn_crawl.items import Listing, ListingEntry, UrlAlias
from kn_crawl.settings import FULL_CRAWL_FACTOR, ConfigError, Settings
from spiders.family import Family, PageKind, family_class

ARTICLE_KINDS = (PageKind.ARTICLE, PageKind.LEGACY_ARTICLE)


def failure_reason(failure: Failure) -> tuple[str, str]:
    """A short reason code and a readable detail for a failed request."""
    exc = failure.value
    if failure.check(HttpError):
        status = exc.response.status
        return f"http_{status}", f"HTTP {status}"
    return download_reason(exc)


def absolute_url(page_url: str, href: str | None) -> str | None:
    """``href`` as written on the page at ``page_url``, made absolute (None: no link)."""
    if not href or not (href := href.strip()):
        return None
    return href if href.startswith(("http://", "https://")) else urljoin(page_url, href)


class NewsSpider(scrapy.Spider):
    """The spider of one source: ``kn_crawl.sources.spider_for`` makes a subclass with the
    source's ``name``; the entry itself is looked up when the spider is made, so a base URL
    given on the command line (``-a base_url=…``) or in ``KN_BASE_URL_<NAME>`` applies."""

    name: ClassVar[str]  # type: ignore[misc]
    source_title: ClassVar[str]
    default_base_url: ClassVar[str]
    """The catalogue entry's title and base URL (before any override)."""

    def __init__(
        self,
        base_url: str | None = None,
        full: bool | str = False,
        source: SourceEntry | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        from kn_crawl.sources import source_entry  # the registry imports this module

        self.source: SourceEntry = source or source_entry(self.name, base_url)
        self.base_url = self.source.base_url
        self.family: Family = family_class(self.source.family)(self.source)
        settings = Settings.from_env()
        # What the source may fetch and store (scheme, host and port; see crawling/origin.py),
        # enforced for every request by OriginGuardMiddleware. Scrapy's own offsite filter,
        # by host name only, stays as a second line.
        try:
            self.origin_policy = OriginPolicy.for_base_url(self.base_url)
        except ValueError as exc:  # a bad port: "http://host:99999/"
            raise ConfigError(f"base URL {self.base_url!r}: {exc}") from None
        host = urlsplit(self.base_url).hostname
        self.allowed_domains = [host] if host else []
        # -a full=1 on the command line arrives as a string.
        self.full = full is True or str(full).lower() in ("1", "true", "yes")
        self.recheck = timedelta(days=settings.recheck_days)
        # Every listing is bounded, a full crawl's too (a trap of endless pages must end).
        factor = FULL_CRAWL_FACTOR if self.full else 1
        self.max_listing_pages = settings.max_listing_pages * factor
        self.max_section_pages = settings.max_section_pages * factor
        self.max_links_per_page = settings.max_links_per_page
        self.known = KnownState()
        self.backfill = True
        # Set once the start requests have all been issued (a run stopped before that has not
        # started every listing chain; kn_crawl.crawling.backfill reads it).
        self.starts_issued = False
        self.legacy_ids_seen: set[str] = set()
        self.article_urls_requested: set[str] = set()
        self.entries: dict[str, ListingEntry] = {}
        """The feed entry or teaser that linked an article URL (see ``_remember``)."""
        self.feed_entry_urls: set[str] = set()
        self.other_urls: set[str] = set()
        self.listing_urls_requested: set[str] = set()
        self.chain_entries: dict[str, set[str]] = {}
        """The entry URLs each listing or feed chain (by its first page) showed so far."""
        self._saw_news = False
        self.known_legacy: dict[str, str] = {}
        self.section_pages = 0
        # The crawl's "now": publication dates after tomorrow are refused.
        self.now = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # The page worker runs while any spider of this process is open.
        crawler.signals.connect(spider._acquire_worker, signal=signals.spider_opened)
        crawler.signals.connect(spider._release_worker, signal=signals.spider_closed)
        return spider

    @property
    def worker(self) -> PageWorker:
        return page_worker()

    async def _acquire_worker(self) -> None:
        await self.worker.acquire()

    async def _release_worker(self) -> None:
        await self.worker.release()

    # -- known state and refresh decisions ----------------------------------------------

    def load_known(self) -> None:
        """What the database knows of this source; a first crawl (or ``full``) is a
        backfill that reads every listing page. A first crawl that ended early is continued
        from the pages it left unread (``known.resume``), or, if its process was killed
        before it could say which, walked again from the start."""
        if not self.full:
            self.known = load_known(get_engine(Settings.from_env().database_url), self.name)
        resume = [p for p in self.known.resume if self.origin_policy.allows(p.url)]
        if len(resume) < len(self.known.resume):
            # Pages left on another origin (the base URL changed since: a site moved to
            # https, a mirror): not fetched. A backfill they belonged to is walked again from
            # its first pages, so no part of the archive is skipped.
            if any(p.is_listing and p.backfill for p in self.known.resume if p not in resume):
                self.known.restart_backfill = True
            self.known.resume = resume
        self.backfill = self.full or not self.known.articles or self.known.restart_backfill
        # Old URLs come in many spellings (K21: _gn, .html, .pdf): known by their id.
        self.known_legacy = {}
        for url in self.known.articles:
            legacy = self.family.legacy_id(url)
            if legacy:
                self.known_legacy.setdefault(legacy, url)
        self.logger.info(
            "%s crawl: %d known article URLs, %d pages to retry, %d unread pages to resume",
            "full" if self.full else ("backfill" if self.backfill else "incremental"),
            len(self.known.articles),
            len(self.known.retry_urls),
            len(self.known.resume),
        )

    def decide(self, url: str, entry: ListingEntry | None = None) -> str:
        """``new``, ``changed``, ``recheck`` (young: may have been edited), ``skip``, or
        ``resolve`` (an old link we cannot place: ask where it redirects first)."""
        if self.full:
            return "new"
        legacy = self.family.legacy_id(url)
        if legacy is not None:
            if legacy in self.known_legacy:
                url = self.known_legacy[legacy]
            elif not self.backfill:
                return "resolve"
        signature = self.known.signature(url)
        if signature is None:
            return "new"
        if entry is not None and signature_changed(signature, entry):
            return "changed"
        if datetime.now(UTC) - signature.published_at < self.recheck:
            return "recheck"
        return "skip"

    def url(self, path: str) -> str:
        """An absolute URL on this source for ``path`` (relative to the base URL)."""
        return self.base_url + path.lstrip("/")

    # -- start ---------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.load_known()
        # Pages earlier runs queued but did not read: a backfill's are read in backfill mode
        # (paging on through known articles to the end of their listing), a refresh's as a
        # refresh would. Listing pages shift as articles are published: resuming at the same
        # page re-reads some teasers (known ones are skipped), it never skips one.
        resume = {p.url: p for p in self.known.resume}
        # Feeds and listings first; all conditional, so an unchanged site costs a few 304s.
        # The start pages count as requested: a retry of one of them is not sent twice.
        for start in self.family.start_pages():
            resumed = resume.pop(start.url, None)
            if start.backfill_only and not (self.backfill or resumed):
                continue
            self.listing_urls_requested.add(start.url)
            yield self._listing_request(
                start.url,
                self.parse_feed if start.kind is PageKind.FEED else self.parse_listing,
                start.priority,
                backfill=bool(resumed and resumed.backfill),
            )
        for page in resume.values():
            if page.kind == "article":
                if page.url not in self.article_urls_requested:
                    self.article_urls_requested.add(page.url)
                    yield self._request(page.url, self.parse_article, priority=5)
            else:
                callback = self.parse_feed if page.kind == "feed" else self.parse_listing
                self.listing_urls_requested.add(page.url)
                yield self._listing_request(
                    page.url, callback, 10, page.page, backfill=page.backfill
                )
        for url in self.known.retry_urls:
            if url in self.article_urls_requested or url in self.listing_urls_requested:
                continue  # resumed from the cursor above, with its page number and mode
            kind = self.family.classify(url)
            if kind in ARTICLE_KINDS:
                self.article_urls_requested.add(url)
                yield self._request(url, self.parse_article, priority=5)
            elif kind is PageKind.FEED:
                yield self._listing_request(url, self.parse_feed, 20)
            elif kind is not None:
                yield self._listing_request(url, self.parse_listing, 10)
        self.starts_issued = True  # read by the backfill recorder: every chain was started

    # -- requests ------------------------------------------------------------------------

    def _request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.record_failure, **kwargs)

    def _listing_request(
        self,
        url: str,
        callback: Any,
        priority: int,
        page: int = 1,
        chain: str | None = None,
        *,
        backfill: bool = False,
        previous: bytes | None = None,
    ) -> scrapy.Request:
        # ``kn_chain``: the first page of the listing this page belongs to, for the record
        # when the listing is paged past its cap. A resumed backfill chain is read whatever
        # validators say: its pages were not. ``kn_previous``: the digest of the page before.
        meta: dict[str, Any] = {"kn_page": page, "kn_chain": chain or url}
        if previous is not None:
            meta["kn_previous"] = previous
        meta["kn_backfill" if backfill else "kn_conditional"] = True
        return self._request(url, callback, priority=priority, meta=meta)

    def _remember(self, url: str, entry: ListingEntry, *, from_feed: bool) -> None:
        """The entry that linked ``url``, for the article read from it (``Family.finish``,
        ``merge_entry``) and, for a feed entry, the feed-only article when the page may not
        be fetched."""
        if self.family.uses_feed_entries:
            if from_feed:
                self.feed_entry_urls.add(url)
            self.entries.setdefault(url, entry)
        elif entry.type_label:
            # Only the teaser's type label (bericht, interview) counts; the latest one wins.
            self.entries[url] = entry

    def _entries(self, entries: list[ListingEntry], *, from_feed: bool) -> Iterator[Any]:
        """Requests for the entries worth fetching; sets ``self._saw_news`` when a teaser
        showed a new or changed article (which is what keeps the paging going)."""
        self._saw_news = False
        dated = sum(1 for e in entries if e.published_at is not None)
        self.crawler.stats.inc_value(counters.LISTING_ENTRIES_DATED, dated)
        feed_only = from_feed and self.family.uses_feed_entries and not self.source.fetch_articles
        for entry in entries:
            if not self.origin_policy.allows(entry.url):
                self.crawler.stats.inc_value("kn/offsite_links")  # not ours: not followed
                continue
            decision = self.decide(entry.url, entry)
            self.crawler.stats.inc_value(f"kn/entries/{decision}")
            if decision == "skip":
                continue
            self._remember(entry.url, entry, from_feed=from_feed)
            if decision == "resolve":
                yield from self._resolve_request(entry.url)
                continue
            self._saw_news = self._saw_news or decision in ("new", "changed")
            if feed_only:
                # The catalogue says the pages are not to be fetched: the entry is the article.
                if entry.url not in self.article_urls_requested:
                    self.article_urls_requested.add(entry.url)
                    yield item_from_entry(self.name, entry)
                continue
            yield from self._article_request(entry.url)

    def _resolve_request(self, url: str) -> Iterator[Any]:
        if url in self.article_urls_requested:
            return
        self.article_urls_requested.add(url)
        yield self._request(
            url,
            self.resolve_legacy,
            priority=5,
            meta={"dont_redirect": True, "handle_httpstatus_list": [301, 302, 303, 307, 308]},
        )

    async def resolve_legacy(self, response: Response) -> list[Any]:
        """An old link's redirect: a known target only gets the old URL as an alias."""
        if not 300 <= response.status < 400:
            return await self.parse_article(response)  # served directly (K21's 2022 layout)
        location = response.headers.get(b"Location")
        if not location:
            self._page_failed(response.url, "bad_redirect", "redirect without Location")
            return []
        target = urljoin(response.url, location.decode("latin-1"))
        if self.refused_redirect(response.url, target, response.status):
            return []
        if self.decide(target) == "skip":
            self.crawler.stats.inc_value("kn/aliases_learned")
            return [UrlAlias(source=self.name, url=response.url, target=target)]
        if target in self.article_urls_requested:
            return []
        self.article_urls_requested.add(target)
        return [
            self._request(
                target,
                self.parse_article,
                priority=5,
                meta={"redirect_urls": [response.url]},
            )
        ]

    def _article_request(self, url: str) -> Iterator[Any]:
        # Every article page links ~50 others; most were requested already. Skipping them
        # here saves each one a trip through Scrapy's middlewares and duplicate filter.
        if url in self.article_urls_requested:
            return
        self.article_urls_requested.add(url)
        if self.family.classify(url) is PageKind.LEGACY_ARTICLE:
            legacy = self.family.legacy_id(url)
            if legacy is not None:
                # Many spellings of one old URL (``_gn``, title, ``.pdf``): fetch one of them.
                if legacy in self.legacy_ids_seen:
                    return
                self.legacy_ids_seen.add(legacy)
        yield self._request(url, self.parse_article, priority=5)

    # -- callbacks -----------------------------------------------------------------------
    # Callbacks return lists, not generators: Scrapy inspects the source of every generator
    # callback for "return" statements, and bound methods defeat its cache (measured: the
    # largest single cost of a crawl).

    def _unchanged(self, response: Response) -> bool:
        """A 304, or the same bytes as last time: everything on it was handled then."""
        if response.status == 304 or response.meta.get("kn_unchanged"):
            self.crawler.stats.inc_value("kn/listings_unchanged")
            return True
        return False

    async def parse_feed(self, response: Response) -> list[Any]:
        if self._unchanged(response):
            return []
        number = int(response.meta.get("kn_page", 1))
        # Parsed in the page worker, like listings: a feed of 100,000 entries is a minute of
        # feedparser, and the reactor serves every other request meanwhile.
        parsed = await self._in_worker(response, crawl_feed, number, self.max_links_per_page)
        if parsed is None:
            return []
        listing, notes = parsed
        # Without a listing, the one note is why the feed is unusable: bad_feed, or a more
        # telling reason (feed_is_html: a cookie wall; unsafe_xml: entity declarations).
        # A feed that could not be read is a lost page (counted in the run's errors).
        self._notes(response.url, notes, note=listing is not None)
        if listing is None:
            return []
        return list(self._feed_entries(response, listing))

    def _feed_entries(self, response: Response, listing: Listing) -> Iterator[Any]:
        entries = []
        outside = 0
        for entry in listing.entries:
            entry.url = urljoin(response.url, entry.url)
            if self.refused_link(
                entry.url, reason="offsite_feed_entry", on_page=response.url, what="feed entry"
            ):
                continue
            if self.family.classify(entry.url) in ARTICLE_KINDS:
                entries.append(entry)
            else:
                outside += 1
        if outside and not entries:
            # Like a listing whose links match no article rule: recorded, so that health
            # says why a feed that was read brought no article.
            pattern = self.source.article_pattern
            rule = f"the pattern {pattern!r}" if pattern else "the family's article rule"
            detail = f"{outside} entries in the feed, none is an article by {rule}"
            self._page_failed(response.url, "no_articles_matched", detail)
        listing.entries = entries  # at most max_links_per_page (crawl_feed cut the rest)
        # A paged feed (WordPress's ``?paged=N``) is a listing chain: read on in a backfill.
        yield from self._follow_listing(response, listing, [], from_feed=True)

    async def parse_listing(self, response: Response) -> list[Any]:
        if not isinstance(response, TextResponse):
            self._page_failed(response.url, "not_html", "listing is not a text page")
            return []
        if self._unchanged(response):
            return []
        # Every listing page links every section: a backfill requests each once, from the
        # first listing page that shows it, not hundreds of times into Scrapy's duplicate filter.
        backfill = self.backfill or bool(response.meta.get("kn_backfill"))
        parsed = await self._in_worker(response, crawl_listing, backfill, self.max_links_per_page)
        if parsed is None:
            return []
        listing, section_urls, notes = parsed
        self._notes(response.url, notes)
        section_urls = [url for url in section_urls if self.origin_policy.allows(url)]
        return list(self._follow_listing(response, listing, section_urls, from_feed=False))

    def _follow_listing(
        self, response: Response, listing: Listing, section_urls: list[str], *, from_feed: bool
    ) -> Iterator[Any]:
        self.crawler.stats.inc_value(counters.LISTING_PAGES_PARSED)
        self.crawler.stats.inc_value(counters.LISTING_ENTRIES, len(listing.entries))
        yield from self._entries(listing.entries, from_feed=from_feed)
        number = int(response.meta.get("kn_page", 1))
        # Page on while teasers show news; a backfill reads the whole listing (to a limit).
        # A feed's older pages are read in a backfill only (its first page is the news).
        resumed = bool(response.meta.get("kn_backfill"))  # a resumed backfill: to its end
        next_url = listing.next_url
        if next_url and self.refused_link(
            next_url, reason="offsite_next", on_page=response.url, what="next page link"
        ):
            next_url = None
        paging = self.backfill or resumed or (self._saw_news and not from_feed)
        chain = str(response.meta.get("kn_chain") or response.url)
        digest = hashlib.blake2b(response.body, digest_size=16).digest()
        if next_url and self._chain_repeats(response, listing, chain, number, digest):
            # A server that ignores ``?paged=N`` or ``?page=N`` serves page 1 for every N:
            # the chain would run to its cap (511 requests for one article, measured).
            self.crawler.stats.inc_value("kn/listing_chains_repeated")
            next_url = None
        if next_url and next_url not in self.listing_urls_requested and paging:
            # Refused or not, the next page is not looked at again: one record per listing.
            self.listing_urls_requested.add(next_url)
            callback = self.parse_feed if from_feed else self.parse_listing
            if number < self.max_listing_pages:
                yield self._listing_request(
                    next_url, callback, 10, number + 1, chain, backfill=resumed, previous=digest
                )
            else:
                self._listing_depth_limit(
                    next_url,
                    f"the listing {chain} was paged {number} pages deep, its cap in this run",
                )
        yield from self._section_requests(section_urls, backfill=resumed)

    def _chain_repeats(
        self, response: Response, listing: Listing, chain: str, number: int, digest: bytes
    ) -> bool:
        """Whether this further page of a chain shows nothing new: the same bytes as the page
        before, or no entry the chain had not shown already. Pages on from it would too."""
        seen = self.chain_entries.setdefault(chain, set())
        fresh = {entry.url for entry in listing.entries} - seen
        seen |= fresh
        if number < 2:
            return False
        return not fresh or digest == response.meta.get("kn_previous")

    def _section_requests(self, section_urls: list[str], *, backfill: bool) -> Iterator[Any]:
        """Topic pages not requested yet, up to the run's cap: each starts a listing, and a
        site (or a trap) can link topic pages from topic pages without end."""
        for url in section_urls:
            if url in self.listing_urls_requested:
                continue
            self.listing_urls_requested.add(url)
            if self.section_pages >= self.max_section_pages:
                self.crawler.stats.inc_value("kn/section_pages_refused")
                if self.crawler.stats.get_value("kn/section_pages_refused") == 1:
                    self._listing_depth_limit(
                        url,
                        f"more than {self.max_section_pages} topic pages in this run; "
                        "this one and any further ones are not read",
                    )
                continue
            self.section_pages += 1
            yield self._listing_request(url, self.parse_listing, 0, backfill=backfill)

    async def parse_article(self, response: Response) -> list[Any]:
        if not isinstance(response, TextResponse):
            self._page_failed(response.url, "not_html", "article URL answered a non-HTML page")
            return []
        redirects = response.meta.get("redirect_urls") or []
        # What linked the page (a feed entry, a teaser with its type label), at its URL or
        # at a URL that redirected here.
        entry = self.entries.get(response.url) or next(
            (self.entries[u] for u in redirects if u in self.entries), None
        )
        parsed = await self._in_worker(
            response, crawl_article, redirects, entry, self.now, self.max_links_per_page
        )
        if parsed is None:
            return []
        item, links, notes = parsed
        self._notes(response.url, notes)
        if isinstance(item, NotAnArticle):
            # A listing, a cookie wall, an error page at an article URL: a drop; its links
            # are followed all the same.
            self._page_failed(response.url, item.reason, item.detail)
            return list(self._follow_links(response.url, links))
        self.crawler.stats.inc_value(counters.ARTICLE_PAGES_PARSED)
        return [item, *self._follow_links(response.url, links)]

    async def _in_worker(self, response: Response, task: Any, *extra: Any) -> Any:
        """``task`` of the page's bytes, in the page worker; None (recorded) if the worker
        died with the page."""
        content_type = response.headers.get(b"Content-Type")
        try:
            return await self.worker.call(
                task,
                self.source,
                response.url,
                response.body,
                content_type.decode("latin-1") if content_type else None,
                *extra,
            )
        except PageWorkerDied as exc:
            self._page_failed(response.url, "page_worker", str(exc))
            return None

    def _follow_links(self, page_url: str, links: list[str]) -> Iterator[Any]:
        """Requests for the article links of a page (related teasers, "Mehr zum Thema" and
        the rest: every article link counts) not requested yet."""
        for href in links:
            url = absolute_url(page_url, href)
            if url is None:
                continue
            url = url.partition("#")[0]  # "/x/#kommentare" is the page /x/
            if url in self.article_urls_requested or url in self.other_urls:
                continue
            # A family's rules may be scheme- and www-blind; the origin policy is exact.
            if self.family.classify(url) in ARTICLE_KINDS and self.origin_policy.allows(url):
                decision = self.decide(url)
                if decision == "resolve":
                    yield from self._resolve_request(url)
                elif decision != "skip":
                    yield from self._article_request(url)
            elif len(self.other_urls) < 100_000:
                self.other_urls.add(url)  # menus and footers repeat on every page

    # -- records -------------------------------------------------------------------------

    def record_failure(self, failure: Failure) -> list[Any]:
        """Errback: every request that ends in an error is recorded with its reason; a feed
        entry whose page robots.txt keeps us from is stored as the feed tells it."""
        if failure.check(OriginRefused):
            return []  # recorded by the origin guard, with the redirect chain
        if failure.check(SourcePostponed):
            return []  # the site asked for a rest: recorded once, by the middleware
        request = failure.request  # type: ignore[attr-defined]
        reason, detail = failure_reason(failure)
        if (
            reason == "robots_disallowed"
            and failure.check(IgnoreRequest)
            and request.url in self.feed_entry_urls
        ):
            # Not a drop: the article is stored, marked feed_only; the page is settled (not
            # left pending for the next run to ask robots.txt again).
            self.crawler.stats.inc_value(counters.FEED_ONLY)
            self.crawler.signals.send_catch_log(signal=page_settled, url=request.url)
            return [item_from_entry(self.name, self.entries[request.url])]
        self.crawler.signals.send_catch_log(
            signal=page_failed, url=request.url, stage="fetch", reason=reason, detail=detail
        )
        return []

    def refused_link(self, url: str, *, reason: str, on_page: str, what: str) -> bool:
        """True (and recorded under ``url``, stage ``parse``) if a link the spider would
        follow leads off the source's origins: ``reason`` is ``offsite_next``,
        ``offsite_feed_entry``, …; ``what`` names the link on the page ``on_page``."""
        if self.origin_policy.allows(url):
            return False
        origins = ", ".join(str(o) for o in self.origin_policy.origins)
        self.crawler.signals.send_catch_log(
            signal=page_failed,
            url=url,
            stage="parse",
            reason=reason,
            detail=f"{what} on {on_page} leads off the source's origins ({origins})",
        )
        return True

    def refused_redirect(self, asked: str, target: str, status: int) -> bool:
        """True (and recorded, stage ``fetch``) if a redirect the spider reads itself
        (``dont_redirect``) leads where OriginGuardMiddleware would not let it go."""
        reason = self.origin_policy.refusal(target, "offsite_redirect")
        if reason is None:
            return False
        detail = refusal_detail(self.origin_policy, reason, target, asked=asked, by=status)
        self.crawler.signals.send_catch_log(
            signal=page_failed, url=asked, stage="fetch", reason=reason, detail=detail
        )
        return True

    def _listing_depth_limit(self, url: str, detail: str) -> None:
        self.crawler.stats.inc_value("kn/listing_depth_limit")
        self._page_failed(url, "listing_depth_limit", detail)

    def _notes(self, url: str, notes: list[tuple[str, str]], *, note: bool = True) -> None:
        """What the page worker noticed on a page, and what the family noticed here about
        its rules (a pattern that timed out on a URL). Notes, not drops, when the page was
        used (or read and found empty, which health reports): they never count as the
        run's lost pages. ``note=False``: the page was lost (a feed that is no feed)."""
        for reason, detail in notes:
            self._page_failed(url, reason, detail, note=note)
        for reason, detail in self.family.take_notes():
            self._page_failed(url, reason, detail, note=True)

    def _too_many_links(self, url: str) -> None:
        self._page_failed(
            url,
            "too_many_links",
            f"more than {self.max_links_per_page} links on the page; the rest were ignored",
        )

    def _page_failed(self, url: str, reason: str, detail: str, *, note: bool = False) -> None:
        self.crawler.signals.send_catch_log(
            signal=page_failed, url=url, stage="parse", reason=reason, detail=detail, note=note
        )
