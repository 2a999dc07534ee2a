"""The generic family: any catalogue source with feeds and/or listing pages.

What it knows comes from the catalogue entry: feed URLs, listing URLs, an article-URL pattern
(searched in the URL's path and query), a next-page rule and per-field selectors. Without a
pattern, an article is a page of the source deeper than its home that is neither a listing
nor a file (:func:`looks_like_article_url`). Articles are read by the generic metadata-first
extractor (:mod:`kn_crawl.extract.generic`), listings by :mod:`kn_crawl.extract.listings`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

from kn_crawl.catalog.model import SourceEntry
from kn_crawl.crawling.origin import OriginPolicy
from kn_crawl.extract.dom import Element
from kn_crawl.extract.feeds import MAX_ENTRIES, parse_feed
from kn_crawl.extract.generic import extract_article, looks_like_article
from kn_crawl.extract.listings import page_number, read_listing_page
from kn_crawl.extract.patterns import ArticlePattern
from kn_crawl.extract.site_memory import SiteMemory
from kn_crawl.items import ArticleItem, Listing
from spiders.family import Family, ListingPage, PageKind, register

# Files, not pages.
ASSET_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".css", ".js", ".json",
    ".xml", ".rss", ".atom", ".pdf", ".zip", ".doc", ".docx", ".xls", ".xlsx", ".ppt",
    ".pptx", ".odt", ".mp3", ".mp4", ".ics", ".vcf", ".txt",
)  # fmt: skip
# Paths of every CMS that are pages about the site, searches and lists, never one article.
NOT_ARTICLE = re.compile(
    r"(?:^|/)(?:tag|tags|category|kategorie|author|autor|page|seite|search|suche|feed|rss"
    r"|login|impressum|datenschutz|kontakt|sitemap|wp-content|wp-json|wp-admin|"
    r"wp-login\.php|barrierefreiheit|newsletter)(?:/|$)",
    re.IGNORECASE,
)


def relative_path(url: str, base_url: str) -> str | None:
    """``url``'s path below ``base_url``'s path (None: not below it)."""
    path = urlsplit(url).path
    base = urlsplit(base_url).path
    if not path.startswith(base):
        return None
    return path[len(base) :]


def path_and_query(url: str) -> str:
    """What an article-URL pattern is searched in: the path, and ``?query`` if any."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def looks_like_article_url(url: str, base_url: str, listing_urls: tuple[str, ...] = ()) -> bool:
    """Without a pattern: a page of the source deeper than its home (a path segment of its
    own), not a listing of the entry, not a site page (tag, search, imprint …), not a file.
    The caller checks the origin."""
    rest = relative_path(url, base_url)
    if not rest or not rest.strip("/"):
        return False
    plain = url.split("#", 1)[0]
    if any(plain.split("?", 1)[0].rstrip("/") == u.split("?", 1)[0].rstrip("/")
           for u in listing_urls):  # fmt: skip
        return False
    if rest.lower().endswith(ASSET_SUFFIXES):
        return False
    return NOT_ARTICLE.search(rest) is None


@register
class GenericFamily(Family):
    """Feeds and listings of the catalogue entry; the generic metadata-first extractor."""

    name = "generic"
    title = "Any feed or listing source: catalogue pattern, next-page rule and selectors"
    uses_feed_entries: ClassVar[bool] = True
    """The feed's categories, author and content fill what the page lacks."""
    reads_selectors: ClassVar[bool] = True
    """What the selectors match is no body text (:func:`extract_article`)."""

    def __init__(self, source: SourceEntry) -> None:
        super().__init__(source)
        self.pattern = ArticlePattern(source.article_pattern) if source.article_pattern else None
        self.policy = OriginPolicy.for_base_url(source.base_url)
        self.feeds = {u.split("#", 1)[0] for u in source.feed_urls}
        self.listings = {u.split("#", 1)[0] for u in source.listing_urls}
        # What the source's pages read so far tell about all of them (site-wide <title>
        # affixes, descriptions, keywords): one per source and process, like this object.
        self.memory = SiteMemory()

    # -- where to go -------------------------------------------------------------------

    def classify(self, url: str) -> PageKind | None:
        url = url.split("#", 1)[0]
        if self.is_feed(url):
            return PageKind.FEED
        if not self.policy.allows(url):
            return None
        # Articles first: ``/?p=123`` (WordPress) and ``index.php?id=34&tx_news[news]=5``
        # (TYPO3) are the path of a listing with a query, but articles.
        if self.is_article(url):
            return PageKind.ARTICLE
        if self.is_listing(url):
            return PageKind.LISTING
        return None

    def is_feed(self, url: str) -> bool:
        return url in self.feeds

    def is_listing(self, url: str) -> bool:
        """A listing URL of the entry, or one of its further pages."""
        if url in self.listings:
            return True
        rule = self.source.next_page
        for listing in self.listings:
            if url.split("?", 1)[0] == listing.split("?", 1)[0] and "?" in url:
                if self._paging_query(url, listing):
                    return True  # ?page=N, ?delta=20&start=N
                continue
            if rule is None or "{n}" not in rule or rule.startswith(("?", "&")):
                continue
            if url.startswith(listing.rstrip("/")) and page_number(url, rule) > 1:
                return True  # page/{n}/
        return False

    def _paging_query(self, url: str, listing: str) -> bool:
        """Whether ``url``'s query (on the listing's path) pages the listing: only the keys of
        a query next-page rule (``?page={n}``) and the listing's own parameters; any query
        where the rule is a selector or absent (its pages' URLs are not known); none where
        the rule is a path (``page/{n}/``)."""
        rule = self.source.next_page
        if rule is not None and "{n}" in rule and not rule.startswith(("?", "&")):
            return False
        if rule is None or "{n}" not in rule:
            return True
        paging = {k for k, _ in parse_qsl(rule[1:], keep_blank_values=True)}
        own = set(parse_qsl(urlsplit(listing).query, keep_blank_values=True))
        pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        return all(k in paging or (k, v) in own for k, v in pairs)

    def is_article(self, url: str) -> bool:
        """An article URL of the source (the caller has checked the origin)."""
        if self.pattern is not None:
            return self.pattern.search(path_and_query(url))
        return looks_like_article_url(url, self.base_url, self.source.listing_urls)

    # -- what a page means -------------------------------------------------------------

    def read_article(self, url: str, root: Element, *, now: datetime | None) -> ArticleItem:
        return extract_article(
            url,
            root,
            source=self.source.name,
            base_url=self.base_url,
            selectors=self.source.selectors,
            now=now,
            memory=self.memory,
        )

    def read_listing(self, url: str, root: Element, *, with_sections: bool) -> ListingPage:
        listing = read_listing_page(
            url,
            root,
            is_article=self._is_listed_article,
            pattern=self.source.article_pattern,
            next_page=self.source.next_page,
            same_origin=self.policy.allows,
        )
        return ListingPage(listing, [])

    def _is_listed_article(self, url: str) -> bool:
        return self.classify(url) is PageKind.ARTICLE

    def read_feed(
        self, url: str, body: bytes, *, page: int, max_entries: int = MAX_ENTRIES
    ) -> Listing:
        return parse_feed(body, url, max_entries=max_entries, kickers=False)

    def looks_like_article(self, root: Element) -> bool:
        return looks_like_article(root)

    def take_notes(self) -> list[tuple[str, str]]:
        return self.pattern.take_notes() if self.pattern is not None else []
