"""The K21 family: what the generic news spider needs to know of the three K21 sites."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from kn_crawl.extract.dom import Element
from kn_crawl.items import ArticleItem
from spiders.family import Family, ListingPage, PageKind, StartPage, register
from spiders.k21.pages import K21ArticlePage, K21ListingPage, looks_like_article
from spiders.k21.urls import UrlKind, classify_url
from spiders.k21.urls import legacy_id as meldung_number

_KINDS = {
    UrlKind.ARTICLE: PageKind.ARTICLE,
    UrlKind.LEGACY_ARTICLE: PageKind.LEGACY_ARTICLE,
    UrlKind.ARCHIVE: PageKind.LISTING,
    UrlKind.SECTION: PageKind.LISTING,
    UrlKind.FEED: PageKind.FEED,
}


@register
class K21Family(Family):
    """Feed (``k21-meldungen/feed``) and archive (``k21-meldungen/``) from the catalogue entry,
    topic pages (``k21-themen/…``) found on the home page in a backfill, old ``meldung_N``
    links resolved by their redirect."""

    name = "k21"
    title = "The K21 media sites (kommune21, move, stadt+werk): archive, topic pages, feed"
    uses_feed_entries: ClassVar[bool] = False
    # The K21 feed repeats what the page shows, and its categories mix the page's section
    # ("Praxis") into the Stichwörter: the page alone is the article.
    judges_pages: ClassVar[bool] = False
    # K21's page object has its own rules for what is no article (tests/test_k21_reading.py).

    def start_pages(self) -> list[StartPage]:
        # The home page links every topic page; only a backfill reads them.
        home = StartPage(self.base_url, PageKind.LISTING, priority=0, backfill_only=True)
        return [*super().start_pages(), home]

    def classify(self, url: str) -> PageKind | None:
        kind = classify_url(url, self.base_url)
        return None if kind is None else _KINDS[kind]

    def legacy_id(self, url: str) -> str | None:
        # Old URLs come in many spellings (_gn, title .html, .pdf): one number, one article.
        if "/meldung_" not in url:
            return None
        number = meldung_number(url)
        return f"meldung:{number}" if number else None

    def read_article(self, url: str, root: Element, *, now: datetime | None) -> ArticleItem:
        page = K21ArticlePage(url, root, source=self.source.name, base_url=self.base_url)
        return page.to_item(now=now)

    def read_listing(self, url: str, root: Element, *, with_sections: bool) -> ListingPage:
        page = K21ListingPage(url, root, source=self.source.name, base_url=self.base_url)
        sections = page.section_urls() if with_sections else []
        return ListingPage(page.to_listing(), sections)

    def looks_like_article(self, root: Element) -> bool:
        return looks_like_article(root)
