"""What a crawl learns about one source from its pages, for the generic extractor.

Some facts about a page can only be told from its siblings: the site's name at the end of
every ``<title>``, a ``<meta name="description">`` or ``keywords`` the CMS puts on every page
(the site's slogan, not the article's teaser or Stichwörter). :class:`SiteMemory` counts
them per source in a run; the family object of a source holds one (one per source and
process, see ``kn_crawl.crawling.reading.family_of``). A value counts as site-wide once it
was seen on :data:`SITE_WIDE_AFTER` different pages, so the first page of a run is read
without this knowledge — the rules that need none (site names from ``og:site_name``,
descriptions equal to the site's name) still apply there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kn_crawl.extract.titles import SiteTitles, fold

SITE_WIDE_AFTER = 2
# Memory bounds: a run of a huge source must not grow this without limit.
MAX_VALUES = 5_000


@dataclass
class PageValues:
    """Fold keys of a value → the URLs (at most :data:`SITE_WIDE_AFTER`) it was seen on."""

    pages: dict[str, set[str]] = field(default_factory=dict)

    def learn(self, value: str | None, url: str) -> None:
        key = fold(value)
        if not key:
            return
        urls = self.pages.get(key)
        if urls is None:
            if len(self.pages) >= MAX_VALUES:
                return
            urls = self.pages[key] = set()
        if len(urls) < SITE_WIDE_AFTER:
            urls.add(url)

    def site_wide(self, value: str | None) -> bool:
        """Seen on :data:`SITE_WIDE_AFTER` different pages."""
        return len(self.pages.get(fold(value), ())) >= SITE_WIDE_AFTER


@dataclass
class SiteMemory:
    """Per-source counts of ``<title>`` affixes, descriptions and keyword lists."""

    titles: SiteTitles = field(default_factory=SiteTitles)
    descriptions: PageValues = field(default_factory=PageValues)
    keywords: PageValues = field(default_factory=PageValues)
