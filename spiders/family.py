"""Site families: what one kind of site declares so the generic news spider can read it.

A family is a class registered with :func:`register` in its own module under ``spiders/``
(``spiders/<family>.py`` or the package ``spiders/<family>/``; the module name is the family
name). It says only what is its own: how its URLs are classified, its page objects (article,
listing), its start pages, and optionally how an old URL form is recognised. Everything else
(feeds first, paging, refresh decisions, known state, link following) is the shared policy
of ``spiders.news.NewsSpider``.

Families are plain classes without Scrapy: the page worker imports them to read pages.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, TypeVar

from kn_crawl.catalog.model import SourceEntry
from kn_crawl.extract.dom import Element
from kn_crawl.extract.feeds import MAX_ENTRIES, parse_feed
from kn_crawl.items import ArticleItem, Listing, ListingEntry


class PageKind(StrEnum):
    ARTICLE = "article"
    LEGACY_ARTICLE = "legacy_article"
    """An old URL form of an article: fetched without following its redirect first, so a
    known target only gets the old URL as an alias (see ``Family.legacy_id``)."""
    LISTING = "listing"
    FEED = "feed"


@dataclass(frozen=True, slots=True)
class StartPage:
    url: str
    kind: PageKind
    """``FEED`` or ``LISTING``."""
    priority: int = 10
    backfill_only: bool = False
    """Read only when the run is a backfill (a home page that links the topic pages)."""


@dataclass(slots=True)
class ListingPage:
    """What a listing page gives the spider."""

    listing: Listing
    section_urls: list[str]
    """Further listings the page links (topic pages), read in a backfill."""


class Family:
    """Base class. Subclasses set ``name`` (the module name) and ``title`` and override what
    differs from the defaults."""

    name: ClassVar[str]
    title: ClassVar[str]
    """A line for ``kn-crawl sources families`` and the README."""
    uses_feed_entries: ClassVar[bool] = True
    """Feed (and listing) entries are part of the article: they fill what the page lacks
    (``merge_entry``), and where the page may not be read the entry alone is stored
    (``feed_only``). False for a family whose pages say everything their entries say."""
    reads_selectors: ClassVar[bool] = False
    """The family's page object applies the catalogue entry's ``selectors`` itself (the
    generic extractor: what they match shapes the body). For every other family
    ``kn_crawl.crawling.reading`` applies them to the page object's item."""
    judges_pages: ClassVar[bool] = True
    """A page at an article URL is judged by what it shows (``kn_crawl.extract.verdict``): a
    listing, a cookie wall or an error page served there is recorded as ``not_an_article``.
    False for a family whose page object has its own rules for such pages (K21)."""

    def __init__(self, source: SourceEntry) -> None:
        self.source = source
        self.base_url = source.base_url

    # -- where to go -------------------------------------------------------------------

    def start_pages(self) -> list[StartPage]:
        """Feeds first (cheap, conditional), then listings."""
        pages = [StartPage(url, PageKind.FEED, priority=20) for url in self.source.feed_urls]
        pages += [StartPage(url, PageKind.LISTING) for url in self.source.listing_urls]
        return pages

    def classify(self, url: str) -> PageKind | None:
        """What ``url`` is on this source; None for pages the spider does not read."""
        raise NotImplementedError

    def legacy_id(self, url: str) -> str | None:
        """The stable article id in an old URL form (K21: the number of ``meldung_N``), by
        which its many spellings are known as one; None for families without old forms."""
        return None

    # -- what a page means -------------------------------------------------------------

    def read_article(self, url: str, root: Element, *, now: datetime | None) -> ArticleItem:
        """The article on the page (the page object's ``to_item``), not yet finished or
        normalised: ``kn_crawl.crawling.reading`` does that, the same for every family."""
        raise NotImplementedError

    def read_listing(self, url: str, root: Element, *, with_sections: bool) -> ListingPage:
        raise NotImplementedError

    def read_feed(
        self, url: str, body: bytes, *, page: int, max_entries: int = MAX_ENTRIES
    ) -> Listing:
        """The entries of feed page ``page`` (1 for the feed itself). ``next_url`` is the
        next, older page of the feed where the server offers one (``rel=next``, or
        WordPress's ``?paged=N``): a backfill pages on through it like through a listing."""
        return parse_feed(body, url, max_entries=max_entries)

    def looks_like_article(self, root: Element) -> bool:
        """For a saved page without its URL (``kn-crawl parse``): is it an article?"""
        raise NotImplementedError

    def take_notes(self) -> list[tuple[str, str]]:
        """What the family noticed about its own rules since last asked (e.g. a catalogue
        pattern that timed out: ``pattern_timeout``), each told once per process."""
        return []

    def finish(self, item: ArticleItem, redirects: list[str], entry: ListingEntry | None) -> None:
        """What the page alone does not say, from how the spider got there (the URLs that
        redirected to it, the teaser or feed entry that linked it). The default records the
        redirects as aliases, a listing's type label, and an old URL form's id."""
        item.alias_urls = list(dict.fromkeys([*redirects, *item.alias_urls]))
        item.legacy_url = self.classify(item.fetched_url) is PageKind.LEGACY_ARTICLE
        if entry is not None and item.type_label is None:
            item.type_label = entry.type_label
        if item.site_article_id is None:
            for redirect in redirects:
                number = self.legacy_id(redirect)
                if number:
                    item.site_article_id = number
                    break


F = TypeVar("F", bound=type[Family])
_FAMILIES: dict[str, type[Family]] = {}


def register(cls: F) -> F:
    """Class decorator: make ``cls`` the family ``cls.name``."""
    _FAMILIES[cls.name] = cls
    return cls


def family_class(name: str) -> type[Family]:
    """The family ``name``, importing ``spiders.<name>`` on first use (the page worker imports
    only the families it reads). KeyError if there is no such family."""
    if name not in _FAMILIES:
        try:
            importlib.import_module(f"spiders.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"spiders.{name}":
                raise
    return _FAMILIES[name]


def family_names() -> list[str]:
    """Every family under ``spiders/``."""
    import spiders

    for module in pkgutil.iter_modules(spiders.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"spiders.{module.name}")
    return sorted(_FAMILIES)
