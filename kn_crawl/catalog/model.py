"""What the catalogue says of one source: plain frozen values, picklable (they cross the page
worker's pipe) and free of Scrapy."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace


@dataclass(frozen=True, slots=True)
class Selectors:
    """Per-field expressions that override the family's extraction for one source. Each is a
    CSS selector, or XPath when it starts with ``/``, ``(`` or ``xpath:`` (evaluated with
    parsel, as Scrapy users write them). Text fields take the text of every match, joined;
    ``tags`` takes each match as one Stichwort; ``date`` the first match that parses."""

    title: str | None = None
    kicker: str | None = None
    teaser: str | None = None
    body: str | None = None
    date: str | None = None
    tags: str | None = None
    author: str | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One source of the catalogue, with ``base_url`` already overridden by
    ``KN_BASE_URL_<NAME>`` where set (and every relative URL below resolved against it)."""

    name: str
    """Lower-case identifier: ``[a-z][a-z0-9_]*``, used in URLs, CLI and ``KN_*`` names."""
    title: str
    family: str
    """Name of the site family (a module in ``spiders/``) that reads the source."""
    base_url: str
    """Absolute http(s) URL ending in ``/``: the source's home, and its origin."""
    feed_urls: tuple[str, ...] = ()
    """Absolute URLs of the source's feeds (RSS 2.0, Atom, RDF, JSON Feed)."""
    listing_urls: tuple[str, ...] = ()
    """Absolute URLs of listing pages (news archive, press releases) to page through."""
    article_pattern: str | None = None
    """A regular expression (Python ``re``, searched in the URL's path and query) that an
    article URL matches; None: the family decides."""
    next_page: str | None = None
    """How a listing pages on: a CSS/XPath selector of the next-page link, or a URL template
    with ``{n}`` for the page number (``?page={n}``, ``page/{n}/``); None: ``rel=next``
    and the family's rules."""
    selectors: Selectors = field(default_factory=Selectors)
    language: str = "de"
    schedule: str | None = None
    """An interval (``30m``) or ``cron:<expression>``; None: the schedule's default."""
    fetch_articles: bool = True
    """Feed sources: fetch each entry's page for the full text. False (or robots.txt
    disallowing the page) stores the feed entry alone, marked ``feed_only``."""
    enabled: bool = True
    disabled_reason: str | None = None
    """Required when ``enabled`` is false: why (paywall, cookie wall, …)."""

    def rebased(self, base_url: str) -> SourceEntry:
        """This source at another base URL (a mirror, a move to https): every feed and listing
        URL under the old base URL moves with it; URLs elsewhere stay. ``base_url`` must be
        absolute and end in ``/`` (the loader checks and normalises it)."""
        if base_url == self.base_url:
            return self
        return replace(
            self,
            base_url=base_url,
            feed_urls=tuple(_rebase(u, self.base_url, base_url) for u in self.feed_urls),
            listing_urls=tuple(_rebase(u, self.base_url, base_url) for u in self.listing_urls),
        )


def _rebase(url: str, old: str, new: str) -> str:
    return new + url[len(old) :] if url.startswith(old) else url
