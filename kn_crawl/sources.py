"""The source registry: every source the crawler knows, as catalogue entries (``SourceEntry``).

The CLI, the scheduler, health and the database all learn about sources from here. Until the
catalogue (``kn_crawl.catalog``) lands, the three K21 sources are defined in
:func:`builtin_entries`; the catalogue replaces that one function. Every source is crawled by
the generic news spider (``spiders.news``) with its site family (``spiders.family``):
:func:`spider_for` makes a spider class per source, so ``scrapy crawl kommune21`` works too
(``kn_crawl.crawling.spider_loader``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kn_crawl.catalog.model import SourceEntry
from kn_crawl.settings import ConfigError, Settings

if TYPE_CHECKING:
    from spiders.news import NewsSpider


def builtin_entries() -> list[SourceEntry]:
    """The sources known without a catalogue: the three K21 sites."""

    def k21(name: str, title: str, base_url: str) -> SourceEntry:
        return SourceEntry(
            name=name,
            title=title,
            family="k21",
            base_url=base_url,
            feed_urls=(base_url + "k21-meldungen/feed",),
            listing_urls=(base_url + "k21-meldungen/",),
        )

    return [
        k21("kommune21", "Kommune21", "https://www.kommune21.de/"),
        k21("move", "move – moderne verwaltung", "https://www.move-online.de/"),
        k21("stadtundwerk", "stadt+werk", "https://www.stadt-und-werk.de/"),
    ]


def _entries() -> Mapping[str, SourceEntry]:
    """Every source by name: the one place that says where sources come from. With the
    catalogue this becomes ``return load_catalog(Settings.from_env())`` (a Mapping of the
    same entries, ``KN_BASE_URL_<NAME>`` already applied)."""
    return {entry.name: entry for entry in builtin_entries()}


def source_names(*, enabled_only: bool = True) -> list[str]:
    """The sources a crawl of "all sources" crawls (``enabled_only=False``: every one)."""
    return [e.name for e in _entries().values() if e.enabled or not enabled_only]


def normalize_base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"base URL {url!r} is not an absolute http(s) URL")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc.lower()}{path}"


def source_entry(name: str, base_url: str | None = None) -> SourceEntry:
    """The entry of source ``name``, at ``base_url`` (``--base-url``) or at
    ``KN_BASE_URL_<NAME>`` when given (a mirror); ConfigError for an unknown source."""
    try:
        entry = _entries()[name]
    except KeyError:
        known = ", ".join(source_names(enabled_only=False))
        raise ConfigError(f"unknown source {name!r} (known: {known})") from None
    override = base_url or Settings.from_env().base_urls.get(name)
    return entry.rebased(normalize_base_url(override)) if override else entry


@cache
def spider_for(name: str) -> type[NewsSpider]:
    """The spider class of source ``name`` (ConfigError for an unknown source)."""
    from spiders.news import NewsSpider

    entry = source_entry(name)
    attributes = {
        "name": entry.name,
        "source_title": entry.title,
        "default_base_url": entry.base_url,
    }
    return type(f"{name.title()}Spider", (NewsSpider,), attributes)


def spider_classes() -> dict[str, type[NewsSpider]]:
    """Every source's spider class, by source name."""
    return {name: spider_for(name) for name in source_names(enabled_only=False)}
