"""What extraction produces: plain dataclasses, shared by spiders, pipelines and the CLI.

Scrapy accepts dataclass instances as items, so the spiders yield these directly and the
pipelines never see a Response.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

VOCABULARY = "vocabulary"
"""The origin of a Stichwort kn-crawl's vocabulary gave (``ArticleItem.tag_origins``,
``article_tags.origin``; see ``kn_crawl.vocabulary``): the one definition of it."""


@dataclass(slots=True)
class ArticleItem:
    """One article page, as extracted. Only ``source``, ``url`` and ``fetched_url`` are
    guaranteed; validation (pipelines.validate) decides whether the rest suffices."""

    source: str
    url: str
    """Canonical URL (rel=canonical / og:url / the response URL), not yet normalised."""
    fetched_url: str
    title: str | None = None
    kicker: str | None = None
    teaser: str | None = None
    body: str | None = None
    published_at: datetime | None = None
    date_signal: str | None = None
    """Which signal gave ``published_at``: ``jsonld``, ``meta``, ``time``, ``visible``, ``url``."""
    tags: list[str] = field(default_factory=list)
    section: str | None = None
    type_label: str | None = None
    image_url: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    site_article_id: str | None = None
    alias_urls: list[str] = field(default_factory=list)
    """Other URLs that led to this page (redirect chain, old ``meldung_NNNN`` links)."""
    legacy_url: bool = False
    """Fetched at an old URL form that was served without a redirect to the current URL. Such a
    copy never replaces the current page's content; it only adds its URL as an alias."""
    warnings: list[str] = field(default_factory=list)
    """Non-fatal extraction problems, e.g. a missing Stichwörter block."""
    author: str | None = None
    modified_at: datetime | None = None
    """When the page says the article was last changed (``dateModified``,
    ``article:modified_time``); never used as the publication date."""
    language: str | None = None
    """The article's language as the page declares it (``<html lang>``, ``og:locale``,
    JSON-LD ``inLanguage``), as a lower-case primary subtag: ``de``, ``en``."""
    tag_origins: dict[str, str] = field(default_factory=dict)
    """Where a Stichwort of ``tags`` came from, by its spelling in ``tags``: ``site`` (the
    page), ``feed`` (the feed entry) or ``vocabulary`` (kn-crawl's vocabulary matched the
    text). A tag missing here came from the site."""
    feed_only: bool = False
    """Built from a feed entry alone: the page could not or must not be fetched (robots.txt,
    a wall, ``fetch_articles = false``). Stored and marked as such."""
    offsite_canonical: str | None = None
    """A canonical URL (rel=canonical, og:url) on another origin than the source's, refused:
    ``url`` is then the fetched URL. Recorded as ``offsite_canonical``; the item is stored."""
    kept: tuple[int, int] | None = None
    """(pid, number) under which the process that read the page keeps this item, so the
    store sends only the key (``kn_crawl.crawling.kept``); None: sent whole."""
    normalized: bool = False
    """Set by ``normalize_article``. The page worker normalises where it extracts, off the
    reactor; the normalise pipeline then has nothing left to do."""
    vocabulary_applied: bool = False
    """Set by ``kn_crawl.vocabulary.apply_vocabulary``: as with ``normalized``, the page worker
    does it where it reads the page, and the vocabulary pipeline only for the others."""

    @property
    def source_tags(self) -> list[str]:
        """The Stichwörter the source gave (its page or its feed), without the vocabulary's."""
        return [t for t in self.tags if self.tag_origins.get(t) != VOCABULARY]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["normalized"], data["kept"], data["vocabulary_applied"]
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        data["modified_at"] = self.modified_at.isoformat() if self.modified_at else None
        return data


@dataclass(slots=True)
class ListingEntry:
    """One teaser in a listing, a feed or a related-items block."""

    url: str
    title: str | None = None
    kicker: str | None = None
    teaser: str | None = None
    published_at: datetime | None = None
    type_label: str | None = None
    image_alt: str | None = None
    tags: list[str] = field(default_factory=list)
    """Feed ``category`` elements: Stichwörter the page may not show."""
    author: str | None = None
    body: str | None = None
    """A feed entry's full content (``content:encoded``), plain text, paragraphs separated
    by blank lines; used when the page itself is not read."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        return data


@dataclass(slots=True)
class Listing:
    """A listing page (archive, section, feed, related block) with its entries."""

    url: str
    entries: list[ListingEntry] = field(default_factory=list)
    next_url: str | None = None
    section: str | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)
    """What the spider records about the page, which was still used: (reason, detail), e.g.
    ``too_many_links`` (entries cut), ``no_articles_matched`` (links, none an article)."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url,
            "section": self.section,
            "next_url": self.next_url,
            "entries": [e.to_json() for e in self.entries],
        }
        if self.notes:  # only where there are some: saved cases without notes stay as they are
            data["notes"] = [list(note) for note in self.notes]
        return data


@dataclass(slots=True)
class UrlAlias:
    """Another URL of a known article (an old link that redirects to it), learned without
    fetching the article again."""

    source: str
    url: str
    target: str
