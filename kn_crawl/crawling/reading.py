"""From a page's bytes to the item the crawl stores: one path for the crawl, ``kn-crawl
parse`` and the golden fixtures (tests/test_pages.py), so what ``parse`` prints is what the
crawl stores.

An article page: decode and parse (``kn_crawl.extract.result.page_tree``: Scrapy's rules, a
binary file as an empty page) → the family's page object → the catalogue entry's
selectors (``kn_crawl.extract.selectors``) → the verdict (for families that judge pages:
``kn_crawl.extract.verdict``; a listing, cookie wall or error page at an article URL is
refused as ``not_an_article``) → ``Family.finish`` (what
the page alone does not say: redirects, the entry that linked it) → ``merge_entry`` (for
families whose feed entries fill the page) → normalisation → notes for the record. A listing
or feed page: its entries, next page and section pages. For the generic family this is
``kn_crawl.extract.result.read_generic``'s path (``kn-crawl parse --generic``) plus the
crawl's own steps after it.

The functions run in the page worker (``kn_crawl.crawling.worker``): no Scrapy here, and what
they return is small and picklable. ``crawl_article`` is the crawl's task: ``read_article``
plus the page's links not handed out before.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from kn_crawl.catalog.model import SourceEntry
from kn_crawl.crawling.kept import keep
from kn_crawl.extract.dom import Element
from kn_crawl.extract.feed_items import merge_entry
from kn_crawl.extract.feeds import FeedError, looks_like_feed
from kn_crawl.extract.result import page_tree
from kn_crawl.extract.selectors import apply_selectors
from kn_crawl.extract.verdict import IS_ARTICLE, Verdict, page_verdict
from kn_crawl.items import ArticleItem, Listing, ListingEntry
from kn_crawl.vocabulary import Matcher, apply_vocabulary, load_matcher
from pipelines.normalize import normalize_article
from spiders.family import Family, PageKind, family_class

# Something the spider records about a page that was still used: (reason, detail).
Note = tuple[str, str]

# The default of KN_MAX_LINKS_PER_PAGE (kn_crawl.settings), for callers without settings.
MAX_LINKS_PER_PAGE = 1000

# Links handed to the spider already, per source, as written in the page: menus, footers and
# related lists repeat on every page, and an absolute or root-relative link means the same on
# every page, so each is looked at once per crawl.
_links_seen: dict[str, set[str]] = {}
MAX_LINKS_SEEN = 100_000


@dataclass(slots=True)
class ArticleRead:
    item: ArticleItem
    """Finished and normalised: what the store pipeline writes."""
    links: list[str]
    """The page's first ``max_links`` distinct links (``href`` as written, in page order)."""
    notes: list[Note]
    verdict: Verdict = IS_ARTICLE
    """Whether the page is an article at all (families that judge pages)."""


@dataclass(frozen=True, slots=True)
class NotAnArticle:
    """The page at an article URL is no article (a listing, a cookie wall, an error page …):
    recorded as a drop, nothing stored."""

    detail: str
    reason: str = "not_an_article"


@dataclass(slots=True)
class ListingRead:
    listing: Listing
    section_urls: list[str]
    notes: list[Note]


@lru_cache(maxsize=64)
def family_of(entry: SourceEntry) -> Family:
    """The family object reading ``entry`` (one per entry and process)."""
    return family_class(entry.family)(entry)


def read_article(
    entry: SourceEntry,
    url: str,
    body: bytes,
    content_type: str | None = None,
    redirects: Sequence[str] = (),
    listing_entry: ListingEntry | None = None,
    now: datetime | None = None,
    max_links: int = MAX_LINKS_PER_PAGE,
) -> ArticleRead:
    """The article on the page at ``url`` as the crawl stores it. ``redirects`` are the URLs
    that redirected here, ``listing_entry`` the feed entry or teaser that linked the page,
    ``now`` the crawl's time (a publication date after tomorrow is no publication date)."""
    root, notes = _decode(body, content_type)
    return _article(entry, url, root, notes, redirects, listing_entry, now, max_links)


def _article(
    entry: SourceEntry,
    url: str,
    root: Element,
    notes: list[Note],
    redirects: Sequence[str],
    listing_entry: ListingEntry | None,
    now: datetime | None,
    max_links: int,
) -> ArticleRead:
    family = family_of(entry)
    item = family.read_article(url, root, now=now)
    if entry.selectors and not family.reads_selectors:
        # The catalogue's selectors override what any family's page object read (typo3, k21).
        apply_selectors(item, root, entry.selectors, now=now)
    # Judged on what the page itself shows, before the feed entry fills it in.
    verdict = page_verdict(root, item) if family.judges_pages else IS_ARTICLE
    family.finish(item, list(redirects), listing_entry)
    if listing_entry is not None and family.uses_feed_entries:
        merge_entry(item, listing_entry)
    links, truncated = page_links(root, max_links)
    if truncated:
        notes.append(_too_many_links(max_links))
    if item.offsite_canonical is not None:
        notes.append(
            (
                "offsite_canonical",
                f"canonical URL {item.offsite_canonical} is on another origin: "
                "stored under the fetched URL",
            )
        )
    return ArticleRead(normalize_article(item), links, notes, verdict)


def read_listing(
    entry: SourceEntry,
    url: str,
    body: bytes,
    content_type: str | None = None,
    with_sections: bool = False,
    max_links: int = MAX_LINKS_PER_PAGE,
) -> ListingRead:
    """The listing's entries and next page, and (``with_sections``) the section pages it
    links — at most ``max_links`` of each — and notes for the record."""
    root, notes = _decode(body, content_type)
    page = family_of(entry).read_listing(url, root, with_sections=with_sections)
    listing, sections = page.listing, page.section_urls
    notes += listing.notes  # what the family noticed (no_articles_matched, …)
    if len(listing.entries) > max_links or len(sections) > max_links:
        notes.append(_too_many_links(max_links))
    listing.entries = listing.entries[:max_links]
    return ListingRead(listing, sections[:max_links], notes)


def read_feed(
    entry: SourceEntry,
    url: str,
    body: bytes,
    page: int = 1,
    max_entries: int = MAX_LINKS_PER_PAGE,
) -> Listing:
    """The entries of a feed page, at most ``max_entries`` (``FeedError`` if it is not a
    usable feed)."""
    return family_of(entry).read_feed(url, body, page=page, max_entries=max_entries)


def read_page(
    entry: SourceEntry,
    url: str | None,
    body: bytes,
    content_type: str | None = None,
    kind: str | None = None,
) -> ArticleItem | Listing:
    """What a saved page means (``kn-crawl parse``, the golden fixtures): a feed's entries, an
    article as the crawl stores it, or a listing. ``kind`` (``article``, ``listing``,
    ``feed``) says which; without it, the URL's kind, else the page's looks decide."""
    page_url = url or entry.base_url
    if kind == "feed" or (kind is None and looks_like_feed(body)):
        return read_feed(entry, page_url, body)
    family = family_of(entry)
    root, notes = _decode(body, content_type)
    if kind is None:
        url_kind = family.classify(page_url) if url else None
        is_home = url is not None and _path(url) == _path(entry.base_url)
        article = url_kind in (PageKind.ARTICLE, PageKind.LEGACY_ARTICLE) or (
            url_kind is None and not is_home and family.looks_like_article(root)
        )
    else:
        article = kind == "article"
    if article:
        return _article(entry, page_url, root, notes, (), None, None, MAX_LINKS_PER_PAGE).item
    return family.read_listing(page_url, root, with_sections=False).listing


def crawl_article(
    entry: SourceEntry,
    url: str,
    body: bytes,
    content_type: str | None,
    redirects: list[str],
    listing_entry: ListingEntry | None,
    now: datetime | None,
    max_links: int,
) -> tuple[ArticleItem | NotAnArticle, list[str], list[Note]]:
    """The page worker's task for an article page: ``read_article``, with only the links not
    handed out before for this source; the item is kept here for the store. A page that is
    no article gives :class:`NotAnArticle` instead of its item (its links are still
    followed: a listing at an article URL links articles)."""
    read = read_article(entry, url, body, content_type, redirects, listing_entry, now, max_links)
    notes = read.notes + family_of(entry).take_notes()
    links = new_links(entry.name, read.links)
    if not read.verdict.is_article:
        return NotAnArticle(read.verdict.detail or str(read.verdict.reason)), links, notes
    # The vocabulary pipeline's job, done here off the reactor (see pipelines/vocabulary.py).
    apply_vocabulary(read.item, crawl_vocabulary())
    keep(read.item)  # the store sends only its key back (kept.py)
    return read.item, links, notes


def crawl_vocabulary() -> Matcher:
    """The vocabulary of ``KN_VOCABULARY_FILE`` (the crawl process's environment, which the
    page worker inherits)."""
    path = os.environ.get("KN_VOCABULARY_FILE") or None
    return load_matcher(Path(path) if path else None)


def crawl_listing(
    entry: SourceEntry,
    url: str,
    body: bytes,
    content_type: str | None,
    with_sections: bool,
    max_links: int,
) -> tuple[Listing, list[str], list[Note]]:
    """The page worker's task for a listing page."""
    read = read_listing(entry, url, body, content_type, with_sections, max_links)
    return read.listing, read.section_urls, read.notes + family_of(entry).take_notes()


def crawl_feed(
    entry: SourceEntry,
    url: str,
    body: bytes,
    content_type: str | None,
    page: int,
    max_entries: int,
) -> tuple[Listing | None, list[Note]]:
    """The page worker's task for a feed page (parsing a feed of 100,000 entries takes the
    crawl process's reactor for a minute otherwise): its listing, or None and the one note
    saying why the feed is not usable (``bad_feed``, ``feed_is_html``, ``unsafe_xml``)."""
    try:
        listing = read_feed(entry, url, body, page, max_entries)
    except FeedError as exc:
        return None, [(exc.reason, exc.detail)]
    notes, listing.notes = listing.notes, []
    return listing, notes + family_of(entry).take_notes()


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def _decode(body: bytes, content_type: str | None) -> tuple[Element, list[Note]]:
    # Decoded by Scrapy's own rules, as the crawl process would have decoded it (but UTF-8
    # labelled Latin-1 read as UTF-8, and Latin-1 labelled UTF-8 as windows-1252), and parsed.
    root, mislabel = page_tree(body, content_type)
    return root, [] if mislabel is None else [("charset_mislabelled", mislabel)]


def _too_many_links(max_links: int) -> Note:
    return ("too_many_links", f"more than {max_links} links on the page; the rest were ignored")


def page_links(root: Element, limit: int) -> tuple[list[str], bool]:
    """The page's first ``limit`` distinct links (``href`` as written, in page order, in-page
    anchors left out), and whether it had more. A trap page with 150,000 links would
    otherwise send them all over the pipe and queue a request for each (550 MB measured)."""
    links: dict[str, None] = {}
    for a in root.iter("a"):
        href = a.get("href")
        if href is None or href.startswith("#") or href in links:  # "#primary": this page
            continue
        if len(links) >= limit:
            return list(links), True
        links[href] = None
    return list(links), False


def new_links(source: str, links: list[str]) -> list[str]:
    """``links`` of a page not handed out before for ``source``."""
    seen = _links_seen.setdefault(source, set())
    fresh = []
    for href in links:
        if href in seen:
            continue
        if href.startswith(("http://", "https://", "/")) and len(seen) < MAX_LINKS_SEEN:
            seen.add(href)
        fresh.append(href)
    return fresh
