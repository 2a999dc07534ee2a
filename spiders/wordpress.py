"""The WordPress family: the generic family plus what every WordPress site shares.

Permalinks with the date (``/2025/01/28/slug/``) are articles; listings page through
``/page/N/``; ``/category/…``, ``/tag/…`` and ``/author/…`` are listings, not articles;
the feed pages back through ``?paged=N`` (WordPress serves every feed that way), which a
backfill follows while a page comes back full. The article page's ``article:published_time``
and ``rel="tag"`` / ``rel="category tag"`` links (``the_tags()``, ``the_category()``) are
read by the generic extractor.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from kn_crawl.extract.dom import Element
from kn_crawl.extract.feeds import MAX_ENTRIES
from kn_crawl.extract.generic import document_base
from kn_crawl.extract.listings import next_from_template, paging_links, url_key
from kn_crawl.items import ArticleItem, Listing, ListingEntry
from kn_crawl.tags import tag_key
from spiders.family import ListingPage, register
from spiders.generic import GenericFamily, looks_like_article_url, path_and_query, relative_path

DATE_PERMALINK = re.compile(r"(?:^|/)(?:19|20)\d{2}/\d{2}/\d{2}/[^/?#]+/?$")
ARCHIVES = re.compile(
    r"(?:^|/)(?:(?:category|tag|author)/[^?#]+?/?|(?:19|20)\d{2}/(?:\d{2}/(?:\d{2}/)?)?)"
    r"(?:page/\d+/?)?$"
)
PAGED = re.compile(r"(?:^|/)page/(\d+)/?$")
# WordPress's default number of items in a feed ("Syndication feeds show the most recent").
FEED_PAGE_SIZE = 10


def is_wordpress_article(url: str, base_url: str) -> bool:
    """A date permalink, or a plain post link ``?p=N`` (the caller checks the origin)."""
    rest = relative_path(url, base_url)
    if rest is None:
        return False
    if DATE_PERMALINK.search(rest):
        return True
    query = dict(parse_qsl(urlsplit(url).query))
    return rest.strip("/") == "" and query.get("p", "").isdigit()


def is_wordpress_archive(url: str, base_url: str) -> bool:
    """A category, tag, author or date archive (``/2025/01/``), or one of their pages."""
    rest = relative_path(url, base_url)
    return rest is not None and ARCHIVES.search(rest) is not None


def feed_page_url(feed_url: str, page: int) -> str:
    """Page ``page`` of a WordPress feed: ``?paged=N`` on the feed URL."""
    parts = urlsplit(feed_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "paged"]
    if page > 1:
        query.append(("paged", str(page)))
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


@register
class WordPressFamily(GenericFamily):
    """Generic, plus WordPress's permalinks, ``/page/N/`` paging and ``?paged=N`` feeds."""

    name = "wordpress"
    title = "WordPress sites: date permalinks, /page/N/ listings, ?paged=N feed backfill"

    def is_feed(self, url: str) -> bool:
        return feed_page_url(url, 1) in self.feeds or super().is_feed(url)

    def is_listing(self, url: str) -> bool:
        if super().is_listing(url) or is_wordpress_archive(url, self.base_url):
            return True
        # /page/N/ of a listing of the entry, or of the home page (the blog's front page).
        parts = urlsplit(url)
        match = PAGED.search(parts.path)
        if match is None:
            return False
        path = parts.path[: match.start()].rstrip("/") + "/"
        first = urlunsplit(parts._replace(path=path, query="", fragment=""))
        return first in self.listings or first == self.base_url

    def is_article(self, url: str) -> bool:
        if is_wordpress_archive(url, self.base_url) or PAGED.search(urlsplit(url).path):
            return False
        if is_wordpress_article(url, self.base_url):
            return True
        if self.pattern is not None:
            return self.pattern.search(path_and_query(url))
        return looks_like_article_url(url, self.base_url, self.source.listing_urls)

    def read_listing(self, url: str, root: Element, *, with_sections: bool) -> ListingPage:
        page = super().read_listing(url, root, with_sections=with_sections)
        listing = page.listing
        if listing.entries and listing.next_url is None and not self.source.next_page:
            # Themes without rel=next or a "Weiter" link still link /page/N+1/.
            candidate = next_from_template(url, "page/{n}/")
            shown, _ = paging_links(url, "page/{n}/", root, document_base(url, root))
            if self.policy.allows(candidate) and url_key(candidate) in shown:
                listing.next_url = candidate
        return page

    def finish(self, item: ArticleItem, redirects: list[str], entry: ListingEntry | None) -> None:
        super().finish(item, redirects, entry)
        if entry is not None and item.section:
            # A WordPress feed lists the post's categories and tags alike as <category>; the
            # page tells them apart (its category is the section): the feed's copy of the
            # category is no Stichwort.
            section = tag_key(item.section)
            entry.tags = [t for t in entry.tags if tag_key(t) != section]

    def read_feed(
        self, url: str, body: bytes, *, page: int, max_entries: int = MAX_ENTRIES
    ) -> Listing:
        listing = super().read_feed(url, body, page=page, max_entries=max_entries)
        if listing.next_url is None and len(listing.entries) >= FEED_PAGE_SIZE:
            # A full page: older entries are on the next. An empty or short page ends it.
            listing.next_url = feed_page_url(url, page + 1)
        return listing
