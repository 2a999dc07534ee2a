"""The source registry: every source the crawler knows, as catalogue entries (``SourceEntry``).

The CLI, the scheduler, health and the database all learn about sources from here, and here
from the catalogue (``kn_crawl.catalog``: the bundled ``sources.toml`` plus the user's
``KN_SOURCES_FILE``). Every source is crawled by
the generic news spider (``spiders.news``) with its site family (``spiders.family``):
:func:`spider_for` makes a spider class per source, so ``scrapy crawl kommune21`` works too
(``kn_crawl.crawling.spider_loader``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

from kn_crawl.catalog.checks import BadValue, normalise_base_url
from kn_crawl.catalog.load import load_catalog
from kn_crawl.catalog.model import SourceEntry
from kn_crawl.settings import ConfigError, Settings

if TYPE_CHECKING:
    from spiders.news import NewsSpider


def _entries() -> Mapping[str, SourceEntry]:
    """Every source by name: the catalogue (bundled plus ``KN_SOURCES_FILE``), with
    ``KN_BASE_URL_<NAME>`` already applied."""
    return load_catalog(Settings.from_env())


def source_names(*, enabled_only: bool = True) -> list[str]:
    """The sources a crawl of "all sources" crawls (``enabled_only=False``: every one)."""
    return [e.name for e in _entries().values() if e.enabled or not enabled_only]


def normalize_base_url(url: str) -> str:
    """The catalogue's check of a base URL (``--base-url``, a run's stored base URL), as a
    ConfigError: one check everywhere, so no login reaches ``crawl_runs.base_url``."""
    try:
        return normalise_base_url(url)
    except BadValue as exc:
        raise ConfigError(f"base URL: {exc}") from None


def canonical_source(name: str, names: Sequence[str]) -> str | None:
    """The source of ``names`` that ``name`` means, ignoring case (``Kommune21`` is
    ``kommune21``, as in the query filter ``quelle:``), or None."""
    if name in names:
        return name
    folded = name.casefold()
    return next((n for n in names if n.casefold() == folded), None)


def resolve_source(name: str) -> str:
    """The catalogue's name of source ``name`` (any case); ConfigError for an unknown source,
    the same line in every command (``--source``, ``source:`` in queries, ``crawl NAME``)."""
    names = source_names(enabled_only=False)
    found = canonical_source(name, names)
    if found is None:
        close = difflib.get_close_matches(name.casefold(), names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"unknown source {name!r} ({hint}kn-crawl sources lists all {len(names)})"
        )
    return found


def source_entry(name: str, base_url: str | None = None) -> SourceEntry:
    """The entry of source ``name``, at ``base_url`` (``--base-url``) or at
    ``KN_BASE_URL_<NAME>`` when given (a mirror); ConfigError for an unknown source."""
    entry = _entries()[resolve_source(name)]
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
