"""The K21 spiders: where to go (feed, archive, topic pages, article links) and how a
refresh stays cheap. What a page means is in ``pages``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response, TextResponse

from kn_crawl.crawling.signals import page_failed
from kn_crawl.crawling.worker import PageWorkerDied
from kn_crawl.extract.feeds import FeedError, looks_like_feed, parse_feed
from kn_crawl.items import ArticleItem, Listing, ListingEntry, UrlAlias
from spiders.base import NewsSpider
from spiders.k21 import work
from spiders.k21.pages import (
    K21ArticlePage,
    K21ListingPage,
    _root_of,
    absolute_url,
    looks_like_article,
)
from spiders.k21.urls import UrlKind, _relative_path, classify_url, is_article_url, legacy_id


class K21Spider(NewsSpider):
    """Feed first, then the archive and topic pages, then every article page found."""

    family: ClassVar[str] = "k21"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.legacy_ids_seen: set[str] = set()
        self.article_urls_requested: set[str] = set()
        self.type_labels: dict[str, str] = {}
        self.other_urls: set[str] = set()
        self.listing_urls_requested: set[str] = set()
        self._saw_news = False
        self.known_legacy: dict[str, str] = {}
        self.section_pages = 0
        # The crawl's "now": publication dates after tomorrow are refused.
        self.now = datetime.now(UTC)

    @classmethod
    def extract(
        cls,
        url: str | None,
        body: bytes,
        *,
        base_url: str | None = None,
        content_type: str | None = None,
    ) -> ArticleItem | Listing:
        """What a saved page means: an article, or a listing (archive, section, feed)."""
        base = base_url or cls.default_base_url
        page_url = url or base
        if looks_like_feed(body):
            return parse_feed(body, page_url)
        root = _root_of(body, content_type)
        kind = classify_url(page_url, base) if url else None
        is_home = url is not None and _relative_path(url, base) == ""
        is_article = kind in (UrlKind.ARTICLE, UrlKind.LEGACY_ARTICLE) or (
            kind is None and not is_home and looks_like_article(root)
        )
        if is_article:
            item = K21ArticlePage(page_url, root, source=cls.name, base_url=base).to_item()
            item.legacy_url = kind == UrlKind.LEGACY_ARTICLE
            return item
        return K21ListingPage(page_url, root, source=cls.name, base_url=base).to_listing()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.load_known()
        # Pages earlier runs queued but did not read: a backfill's are read in backfill mode
        # (paging on through known articles to the end of their listing), a refresh's as a
        # refresh would. Listing pages shift as articles are published: resuming at the same
        # page re-reads some teasers (known ones are skipped), it never skips one.
        resume = {p.url: p for p in self.known.resume}
        # Feed and archive first; both conditional, so an unchanged site costs two 304s.
        # The start pages count as requested: a retry of one of them is not sent twice.
        self.listing_urls_requested.update(
            (self.url("k21-meldungen/feed"), self.url("k21-meldungen/"))
        )
        feed = resume.pop(self.url("k21-meldungen/feed"), None)
        yield self._listing_request(
            self.url("k21-meldungen/feed"),
            self.parse_feed,
            20,
            backfill=bool(feed and feed.backfill),
        )
        archive = resume.pop(self.url("k21-meldungen/"), None)
        yield self._listing_request(
            self.url("k21-meldungen/"),
            self.parse_listing,
            10,
            backfill=bool(archive and archive.backfill),
        )
        home = resume.pop(self.url(""), None)
        if self.backfill or home:
            # The home page links the topic pages; a backfill reads those too.
            yield self._listing_request(
                self.url(""),
                self.parse_listing,
                0,
                backfill=bool(home and home.backfill),
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
            kind = classify_url(url, self.base_url)
            if kind in (UrlKind.ARTICLE, UrlKind.LEGACY_ARTICLE):
                self.article_urls_requested.add(url)
                yield self._request(url, self.parse_article, priority=5)
            elif kind is UrlKind.FEED:
                yield self._listing_request(url, self.parse_feed, 20)
            elif kind is not None:
                yield self._listing_request(url, self.parse_listing, 10)
        self.starts_issued = True  # read by the backfill recorder: every chain was started

    def load_known(self) -> None:
        super().load_known()
        # Old URLs come in many spellings (_gn, .html, .pdf): known by their number.
        self.known_legacy = {}
        for url in self.known.articles:
            if "/meldung_" in url:
                number = legacy_id(url)
                if number:
                    self.known_legacy.setdefault(number, url)

    def _listing_request(
        self,
        url: str,
        callback: Any,
        priority: int,
        page: int = 1,
        chain: str | None = None,
        *,
        backfill: bool = False,
    ) -> scrapy.Request:
        # ``kn_chain``: the first page of the listing this page belongs to, for the record
        # when the listing is paged past its cap. A resumed backfill chain is read whatever
        # validators say: its pages were not.
        meta: dict[str, Any] = {"kn_page": page, "kn_chain": chain or url}
        meta["kn_backfill" if backfill else "kn_conditional"] = True
        return self._request(url, callback, priority=priority, meta=meta)

    def _unchanged(self, response: Response) -> bool:
        """A 304, or the same bytes as last time: everything on it was handled then."""
        if response.status == 304 or response.meta.get("kn_unchanged"):
            self.crawler.stats.inc_value("kn/listings_unchanged")
            return True
        return False

    def decide(self, url: str, entry: ListingEntry | None = None) -> str:
        if not self.full and "/meldung_" in url:
            number = legacy_id(url)
            if number and number in self.known_legacy:
                url = self.known_legacy[number]
            elif number and not self.backfill:
                # An old link we cannot place: ask where it redirects before fetching.
                return "resolve"
        return super().decide(url, entry)

    def _entries(self, entries: list[ListingEntry]) -> Iterator[Any]:
        """Requests for the entries worth fetching; sets ``self._saw_news`` when a teaser
        showed a new or changed article (which is what keeps the paging going)."""
        self._saw_news = False
        dated = sum(1 for e in entries if e.published_at is not None)
        self.crawler.stats.inc_value("kn/listing_entries_dated", dated)
        for entry in entries:
            if not self.origin_policy.allows(entry.url):
                self.crawler.stats.inc_value("kn/offsite_links")  # not ours: not followed
                continue
            decision = self.decide(entry.url, entry)
            self.crawler.stats.inc_value(f"kn/entries/{decision}")
            if decision == "skip":
                continue
            if decision == "resolve":
                yield from self._resolve_request(entry.url, entry)
                continue
            self._saw_news = self._saw_news or decision in ("new", "changed")
            yield from self._article_request(entry.url, entry)

    def _resolve_request(self, url: str, entry: ListingEntry | None = None) -> Iterator[Any]:
        if entry is not None and entry.type_label:
            self.type_labels[url] = entry.type_label
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
            return await self.parse_article(response)  # served directly (the 2022 layout)
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

    def _request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.record_failure, **kwargs)

    def _article_request(self, url: str, entry: ListingEntry | None = None) -> Iterator[Any]:
        # Every article page links ~50 others; most were requested already. Skipping them
        # here saves each one a trip through Scrapy's middlewares and duplicate filter.
        if entry is not None and entry.type_label:
            self.type_labels[url] = entry.type_label
        if url in self.article_urls_requested:
            return
        self.article_urls_requested.add(url)
        number = (
            legacy_id(url) if classify_url(url, self.base_url) is UrlKind.LEGACY_ARTICLE else None
        )
        if number is not None:
            # Many spellings of one old URL (``_gn``, title, ``.pdf``): fetch one of them.
            if number in self.legacy_ids_seen:
                return
            self.legacy_ids_seen.add(number)
        yield self._request(url, self.parse_article, priority=5)

    # Callbacks return lists, not generators: Scrapy inspects the source of every generator
    # callback for "return" statements, and bound methods defeat its cache (measured: the
    # largest single cost of a crawl).
    def parse_feed(self, response: Response) -> list[Any]:
        return list(self._parse_feed(response))

    def _parse_feed(self, response: Response) -> Iterator[Any]:
        if self._unchanged(response):
            return
        try:
            listing = parse_feed(response.body, response.url)
        except FeedError as exc:
            self._page_failed(response.url, "bad_feed", str(exc))
            return
        entries = []
        for entry in listing.entries:
            entry.url = urljoin(response.url, entry.url)
            if self.refused_link(
                entry.url, reason="offsite_feed_entry", on_page=response.url, what="feed entry"
            ):
                continue
            if is_article_url(entry.url, self.base_url):
                entries.append(entry)
        if len(entries) > self.max_links_per_page:
            self._too_many_links(response.url)
            del entries[self.max_links_per_page :]
        self.crawler.stats.inc_value("kn/listing_pages_parsed")
        self.crawler.stats.inc_value("kn/listing_entries", len(entries))
        yield from self._entries(entries)

    async def parse_listing(self, response: Response) -> list[Any]:
        if not isinstance(response, TextResponse):
            self._page_failed(response.url, "not_html", "listing is not a text page")
            return []
        if self._unchanged(response):
            return []
        # Every listing page links every section: a backfill requests each once, from the
        # first listing page that shows it, not hundreds of times into Scrapy's duplicate filter.
        backfill = self.backfill or bool(response.meta.get("kn_backfill"))
        parsed = await self._in_worker(response, work.LISTING, backfill, self.max_links_per_page)
        if parsed is None:
            return []
        listing, section_urls, notes = parsed
        self._notes(response.url, notes)
        section_urls = [url for url in section_urls if self.origin_policy.allows(url)]
        return list(self._follow_listing(response, listing, section_urls))

    def _follow_listing(
        self, response: Response, listing: Listing, section_urls: list[str]
    ) -> Iterator[Any]:
        self.crawler.stats.inc_value("kn/listing_pages_parsed")
        self.crawler.stats.inc_value("kn/listing_entries", len(listing.entries))
        yield from self._entries(listing.entries)
        number = int(response.meta.get("kn_page", 1))
        # Page on while teasers show news; a backfill reads the whole listing (to a limit).
        resumed = bool(response.meta.get("kn_backfill"))  # a resumed backfill: to its end
        next_url = listing.next_url
        if next_url and self.refused_link(
            next_url, reason="offsite_next", on_page=response.url, what="next page link"
        ):
            next_url = None
        if (
            next_url
            and next_url not in self.listing_urls_requested
            and (self.backfill or self._saw_news or resumed)
        ):
            # Refused or not, the next page is not looked at again: one record per listing.
            self.listing_urls_requested.add(next_url)
            chain = str(response.meta.get("kn_chain") or response.url)
            if number < self.max_listing_pages:
                yield self._listing_request(
                    next_url, self.parse_listing, 10, number + 1, chain, backfill=resumed
                )
            else:
                self._listing_depth_limit(
                    next_url,
                    f"the listing {chain} was paged {number} pages deep, its cap in this run",
                )
        yield from self._section_requests(section_urls, backfill=resumed)

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

    def _listing_depth_limit(self, url: str, detail: str) -> None:
        self.crawler.stats.inc_value("kn/listing_depth_limit")
        self._page_failed(url, "listing_depth_limit", detail)

    def _notes(self, url: str, notes: list[tuple[str, str]]) -> None:
        """What the page worker noticed on a page it could still use."""
        for reason, detail in notes:
            self._page_failed(url, reason, detail)

    def _too_many_links(self, url: str) -> None:
        self._page_failed(
            url,
            "too_many_links",
            f"more than {self.max_links_per_page} links on the page; the rest were ignored",
        )

    async def parse_article(self, response: Response) -> list[Any]:
        if not isinstance(response, TextResponse):
            self._page_failed(response.url, "not_html", "article URL answered a non-HTML page")
            return []
        redirects = response.meta.get("redirect_urls") or []
        # The type label (bericht, interview) shows in listings, not on the page itself.
        type_label = self.type_labels.get(response.url) or next(
            (self.type_labels[u] for u in redirects if u in self.type_labels), None
        )
        parsed = await self._in_worker(
            response, work.ARTICLE, redirects, type_label, self.max_links_per_page, self.now
        )
        if parsed is None:
            return []
        item, links, notes = parsed
        self._notes(response.url, notes)
        return [item, *self._follow_links(response.url, links)]

    async def _in_worker(self, response: Response, task: str, *extra: Any) -> Any:
        """``task`` of the page's bytes, in the page worker; None (recorded) if the worker
        died with the page."""
        content_type = response.headers.get(b"Content-Type")
        try:
            return await self.worker.call(
                task,
                self.name,
                self.base_url,
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
            # is_article_url is scheme- and www-blind; the origin policy is exact.
            if is_article_url(url, self.base_url) and self.origin_policy.allows(url):
                decision = self.decide(url)
                if decision == "resolve":
                    yield from self._resolve_request(url)
                elif decision != "skip":
                    yield from self._article_request(url)
            elif len(self.other_urls) < 100_000:
                self.other_urls.add(url)  # menus and footers repeat on every page

    def _page_failed(self, url: str, reason: str, detail: str) -> None:
        self.crawler.signals.send_catch_log(
            signal=page_failed, url=url, stage="parse", reason=reason, detail=detail
        )


class Kommune21Spider(K21Spider):
    name = "kommune21"
    source_title = "Kommune21"
    default_base_url = "https://www.kommune21.de/"


class MoveSpider(K21Spider):
    name = "move"
    source_title = "move – moderne verwaltung"
    default_base_url = "https://www.move-online.de/"


class StadtUndWerkSpider(K21Spider):
    name = "stadtundwerk"
    source_title = "stadt+werk"
    default_base_url = "https://www.stadt-und-werk.de/"
